/** The `burrow` CLI as a user runs it: a real process, the real core, the suite's own tiny model. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { tinyModelPath } from '../support/tiny-model';
import { runCli, type CliRun } from '../support/cli';

let dataDir: string;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'burrow-cli-'));
});
afterEach(() => rmSync(dataDir, { recursive: true, force: true }));

function burrow(args: string[], input?: string): Promise<CliRun> {
  return runCli(args, { dataDir, input: input ?? '' });
}

describe('burrow CLI', () => {
  it('ask streams an answer to stdout and saves the conversation in the data folder the app uses', async () => {
    const asked = await burrow(['ask', '--model', tinyModelPath(), 'Where is the rabbit?']);
    expect(asked.stderr).toBe('');
    expect(asked.code).toBe(0);
    expect(asked.stdout.trim().length).toBeGreaterThan(0);

    const listed = await burrow(['list', '--json']);
    expect(listed.code).toBe(0);
    const conversations = JSON.parse(listed.stdout) as Array<{ title: string; messageCount: number }>;
    expect(conversations).toMatchObject([{ title: 'Where is the rabbit?', messageCount: 2 }]);
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
    expect(chatted.stderr).toBe('');
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
