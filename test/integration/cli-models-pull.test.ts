/** `burrow models pull` as a user runs it: a real process, a loopback model host, a temporary data folder. */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadCatalog } from '../../src/core/models/catalog';
import { startModelServer, type ModelServer } from '../support/model-server';
import { tinyModelPath } from '../support/tiny-model';
import { runCli, type CliRun } from '../support/cli';

let model: Buffer;
let modelSha: string;
let dataDir: string;
let server: ModelServer;

beforeAll(() => {
  model = readFileSync(tinyModelPath());
  modelSha = createHash('sha256').update(model).digest('hex');
});

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'burrow-cli-pull-'));
  server = await startModelServer();
  server.serve('/files/tiny.gguf', model);
});

afterEach(async () => {
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

function burrow(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return runCli(args, { dataDir, env: { BURROW_MODEL_MIRROR: '', ...env } });
}

const modelsDir = (): string => join(dataDir, 'models');
const savedModels = (): string[] => (existsSync(modelsDir()) ? readdirSync(modelsDir()).filter((name) => name.endsWith('.gguf')) : []);

describe('burrow models pull', () => {
  it('pulls a URL pinned with --sha256 into the data folder, printing progress as JSON lines', async () => {
    const pulled = await burrow(['models', 'pull', server.url('/files/tiny.gguf'), '--sha256', modelSha, '--json']);
    expect(pulled.stderr).toBe('');
    expect(pulled.code).toBe(0);
    const events = pulled.stdout.trim().split('\n').map((line) => JSON.parse(line) as { event: string; state: string; sha256Source: string; path: string | null });
    expect(events.every((event) => event.event === 'download.progress')).toBe(true);
    expect(events.map((event) => event.state)).toContain('downloading');
    expect(events.at(-1)).toMatchObject({ state: 'done', sha256Source: 'user', path: join(modelsDir(), 'tiny.gguf') });
    expect(createHash('sha256').update(readFileSync(join(modelsDir(), 'tiny.gguf'))).digest('hex')).toBe(modelSha);
    expect(server.requests).toHaveLength(1);
  });

  it('text mode prints the saved path on stdout and the checksum on stderr', async () => {
    const pulled = await burrow(['models', 'pull', server.url('/files/tiny.gguf'), '--sha256', modelSha]);
    expect(pulled.code).toBe(0);
    expect(pulled.stdout.trim()).toBe(join(modelsDir(), 'tiny.gguf'));
    expect(pulled.stderr).toContain(`SHA-256 ${modelSha} (checked, user)`);
  });

  it('a wrong --sha256 is rejected and nothing is saved', async () => {
    const pulled = await burrow(['models', 'pull', server.url('/files/tiny.gguf'), '--sha256', '0'.repeat(64)]);
    expect(pulled.code).toBe(1);
    expect(pulled.stderr).toMatch(/corrupted \(checksum mismatch\)\. Nothing was saved/);
    expect(savedModels()).toEqual([]);
    expect(readdirSync(join(modelsDir(), '.partial'))).toEqual([]);
  });

  it('a catalog id downloads from BURROW_MODEL_MIRROR, the pinned revision, and is checked against the catalog', async () => {
    const tiny = loadCatalog().find((entry) => entry.recommended);
    const path = `/${tiny?.repo}/resolve/${tiny?.revision}/${tiny?.file}`;
    server.serve(path, model); // the wrong size for this entry: rejected before it is kept
    const pulled = await burrow(['models', 'pull', tiny?.id ?? '?'], { BURROW_MODEL_MIRROR: server.base });
    expect(pulled.code).toBe(1);
    expect(pulled.stderr).toMatch(/should be 669 MB/);
    expect(server.requests.map((request) => request.path)).toEqual([path]);
    expect(savedModels()).toEqual([]);
  });

  it('refuses plain http to another machine and unknown catalog ids, without any traffic', async () => {
    const insecure = await burrow(['models', 'pull', 'http://example.invalid/model.gguf']);
    expect(insecure.code).toBe(1);
    expect(insecure.stderr).toMatch(/only downloads over HTTPS/);

    const unknown = await burrow(['models', 'pull', 'no-such-model']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/no model "no-such-model" in Burrow's catalog/);

    const usage = await burrow(['models', 'pull']);
    expect(usage.code).toBe(2);
    expect(server.requests).toEqual([]);
  });
});
