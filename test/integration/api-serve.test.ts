/**
 * `burrow serve` as a user runs it: a real process on the real core and the suite's tiny model.
 * Its first line is the base URL and the key; it answers /v1/models, logs each request, stops
 * cleanly on SIGTERM, and says plainly when its port is taken.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findProjectRoot } from '../../src/core/process/project-root';
import { runCli } from '../support/cli';
import { freeLoopbackPort, occupyPort } from '../support/free-port';
import { tinyModelPath } from '../support/tiny-model';

let dataDir: string;
let child: ChildProcess | undefined;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'burrow-serve-'));
});
afterEach(() => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

interface Served {
  firstLine: string;
  output: () => string;
  exited: Promise<number | null>;
}

function serve(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Served> {
  const root = findProjectRoot();
  const started = spawn(process.execPath, ['--import', 'tsx', join(root, 'src', 'cli', 'index.ts'), 'serve', ...args], {
    cwd: root,
    env: { ...process.env, ...env, BURROW_DATA_DIR: dataDir },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child = started;
  let stdout = '';
  let stderr = '';
  const exited = new Promise<number | null>((resolve) => started.on('close', resolve));
  return new Promise((resolve, reject) => {
    started.stderr?.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    started.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const newline = stdout.indexOf('\n');
      if (newline !== -1) resolve({ firstLine: stdout.slice(0, newline), output: () => stdout, exited });
    });
    void exited.then((code) => reject(new Error(`burrow serve ended (${code}) before printing a line: ${stderr}`)));
  });
}

describe('burrow serve', () => {
  it('prints the base URL and the key first, answers /v1/models, and stops cleanly on SIGTERM', async () => {
    const port = await freeLoopbackPort();
    const served = await serve(['--port', String(port), '--model', tinyModelPath()], { BURROW_API_KEY: 'sk-test-from-the-environment' });
    expect(served.firstLine).toBe(`Burrow's OpenAI-compatible API: http://127.0.0.1:${port}/v1  key: sk-test-from-the-environment`);

    const response = await fetch(`http://127.0.0.1:${port}/v1/models`, { headers: { Authorization: 'Bearer sk-test-from-the-environment' } });
    expect(response.status).toBe(200);
    const models = (await response.json()) as { data: Array<{ id: string }> };
    expect(models.data.map((model) => model.id)).toEqual([tinyModelPath().split(/[\\/]/).at(-1)]);
    await expect.poll(() => served.output()).toContain('200 GET /v1/models');

    child?.kill('SIGTERM');
    expect(await served.exited).toBe(0);
    await expect(fetch(`http://127.0.0.1:${port}/v1/models`)).rejects.toThrow();
  });

  it('a taken port: exit 1 with a plain message and a free port to try', async () => {
    const port = await freeLoopbackPort();
    const holder = await occupyPort(port);
    try {
      const run = await runCli(['serve', '--port', String(port)], { dataDir });
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(new RegExp(`Port ${port} is not available.*Try: burrow serve --port \\d+`));
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });
});
