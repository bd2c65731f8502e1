/** The `burrow` CLI as a user runs it: a real process, the real core, the suite's own tiny model. */
import { spawn } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { findProjectRoot } from '../../src/core/process/project-root';
import { AppSettingsStore } from '../../src/core/settings/app-settings';
import { Storage } from '../../src/core/store/storage';
import { streamingModelPath, tinyModelPath } from '../support/tiny-model';
import { runCli, type CliRun } from '../support/cli';

let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'burrow-cli-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

function burrow(args: string[], input?: string): Promise<CliRun> {
  return runCli(args, { dataDir, input: input ?? '' });
}

const withoutLimitNotes = (stderr: string): string => stderr.replace(/^\[Stopped at the [\d,]+-token limit\. .*\]\n/gm, '');

describe('burrow CLI', () => {
  it('ask streams an answer to stdout and saves the conversation in the data folder the app uses', async () => {
    const asked = await burrow(['ask', '--model', tinyModelPath(), 'Where is the rabbit?']);
    // Nothing but the mark of an answer cut off at the length limit (the tiny model writes to it).
    expect(withoutLimitNotes(asked.stderr)).toBe('');
    expect(asked.code).toBe(0);
    expect(asked.stdout.trim().length).toBeGreaterThan(0);

    const listed = await burrow(['list', '--json']);
    expect(listed.code).toBe(0);
    const conversations = JSON.parse(listed.stdout) as Array<{ title: string; messageCount: number }>;
    expect(conversations).toMatchObject([{ title: 'Where is the rabbit?', messageCount: 2 }]);
  });

  it('an answer cut off at its token limit says so on stderr, the answer alone on stdout', async () => {
    const storage = Storage.open(dataDir);
    try {
      new AppSettingsStore(storage.settings).set({ maxTokens: 4 });
    } finally {
      storage.close();
    }
    const asked = await burrow(['ask', '--model', streamingModelPath(), 'Tell me a long story']);
    expect(asked.code).toBe(0);
    expect(asked.stdout.trim().length).toBeGreaterThan(0);
    expect(asked.stdout).not.toContain('limit');
    expect(asked.stderr).toBe("[Stopped at the 4-token limit. The answer length is in Burrow's Settings; Continue in the app goes on from here.]\n");
  });

  it('--json prints one event per line, deltas in order, then the end', async () => {
    const asked = await burrow(['ask', '--json', '--model', tinyModelPath(), 'hello']);
    expect(asked.code).toBe(0);
    const events = asked.stdout.trim().split('\n').map((line) => JSON.parse(line) as { event: string; seq?: number; reason?: string });
    const deltas = events.filter((event) => event.event === 'generation.delta');
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.map((delta) => delta.seq)).toEqual(deltas.map((_, index) => index));
    expect(events.at(-1)).toMatchObject({ event: 'generation.end', reason: 'done' });
  });

  it('chat keeps one conversation across turns until /exit', async () => {
    const chatted = await burrow(['chat', '--model', tinyModelPath()], 'first line\nsecond line\n/exit\n');
    expect(withoutLimitNotes(chatted.stderr)).toBe('');
    expect(chatted.code).toBe(0);
    const listed = JSON.parse((await burrow(['list', '--json'])).stdout) as Array<{ title: string; messageCount: number }>;
    expect(listed).toMatchObject([{ title: 'first line', messageCount: 4 }]);
  });

  it('errors go to stderr with a non-zero exit code', async () => {
    const notGguf = join(dataDir, 'notes.gguf');
    writeFileSync(notGguf, 'these are not weights');
    const bad = await burrow(['ask', '--model', notGguf, 'hello']);
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toBe('');
    expect(bad.stderr).toMatch(/not a GGUF|GGUF/i);

    const noModel = await burrow(['ask', 'hello']);
    expect(noModel.code).not.toBe(0);
    expect(noModel.stderr).toMatch(/no model/i);

    const unknown = await burrow(['fly']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command/);
  });
});

describe('burrow CLI with its output closed early', () => {
  it('`burrow ask --json … | head -3`: ends quietly with exit 0 and cancels the answer', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(findProjectRoot(), 'src', 'cli', 'index.ts'), 'ask', '--json', '--model', streamingModelPath(), 'Tell me a long story'], {
      cwd: findProjectRoot(),
      env: { ...process.env, BURROW_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    // Read three lines, then close our end of the pipe as `head -3` does.
    let seen = '';
    await new Promise<void>((resolve) => {
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
        seen += chunk;
        if (seen.split('\n').length > 3) {
          child.stdout.destroy();
          resolve();
        }
      });
    });
    expect(await exited).toBe(0);
    expect(stderr).not.toMatch(/EPIPE|Error|\n\s+at /);
    expect(seen.split('\n').slice(0, 3).every((line) => line.startsWith('{'))).toBe(true);
    // The answer was cancelled rather than written to the end for nobody.
    const storage = Storage.open(dataDir);
    try {
      const [conversation] = storage.conversations.list();
      const answer = storage.conversations.get(conversation!.id).messages.find((message) => message.role === 'assistant');
      expect(answer?.status).toBe('cancelled');
    } finally {
      storage.close();
    }
  }, 60_000);
});

describe('burrow CLI for a newcomer', () => {
  it('a first run without a model says how to get one, and leaves no empty conversation behind', async () => {
    const asked = await burrow(['ask', 'hello']);
    expect(asked.code).not.toBe(0);
    expect(asked.stderr).toContain('Pass one with --model PATH.gguf');
    expect(asked.stderr).toContain('burrow models pull ID');
    expect(asked.stderr).not.toMatch(/Open a \.gguf model file/);
    expect((await burrow(['list'])).stdout).toBe('No conversations yet.\n');

    const library = await burrow(['models', 'list']);
    expect(library.code).toBe(0);
    expect(library.stdout).toContain('No models on this computer yet');
    const catalog = await burrow(['models', 'catalog', '--json']);
    const entries = JSON.parse(catalog.stdout) as Array<{ id: string }>;
    expect(entries.length).toBeGreaterThan(0);
    expect((await burrow(['models', 'catalog'])).stdout).toContain(entries[0]?.id ?? '?');
  });

  it('a remembered model whose file is gone is named, with where it was, by ask and models list', async () => {
    const folder = join(dataDir, 'elsewhere');
    mkdirSync(folder);
    const copy = join(folder, 'gone.gguf');
    copyFileSync(tinyModelPath(), copy);
    expect((await burrow(['ask', '--model', copy, 'hello'])).code).toBe(0);
    rmSync(copy);

    const asked = await burrow(['ask', 'hello again']);
    expect(asked.code).not.toBe(0);
    expect(asked.stderr).toContain(`The model file "gone.gguf" is gone: it was in ${realpathSync(folder)}.`);
    expect(asked.stderr).toContain('--model PATH.gguf');
    const listed = await burrow(['models', 'list']);
    expect(listed.stdout).toContain('gone  (file missing)  [file missing, default]');
  });

  it('list shows the ids export takes; unknown ids, missing files and --version answer plainly', async () => {
    await burrow(['ask', '--model', tinyModelPath(), 'Where is the rabbit?']);
    const [conversation] = JSON.parse((await burrow(['list', '--json'])).stdout) as Array<{ id: string }>;
    const listed = await burrow(['list']);
    expect(listed.stdout).toContain(conversation?.id ?? '?');
    expect((await burrow(['export', '--conversation', conversation?.id ?? '?'])).stdout).toContain('Where is the rabbit?');

    const unknown = await burrow(['export', '--conversation', 'no-such-id']);
    expect(unknown.code).not.toBe(0);
    expect(unknown.stderr).toContain('No conversation with id no-such-id');
    const missing = await burrow(['import', join(dataDir, 'missing.json')]);
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain(`No such file: ${join(dataDir, 'missing.json')}`);
    expect(missing.stderr).not.toContain('ENOENT');

    const version = await burrow(['--version']);
    const { version: expected } = JSON.parse(readFileSync(join(findProjectRoot(), 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout).toBe(`burrow ${expected}\n`);
  });
});
