/** `burrow search`, `burrow export` and `burrow import` as a user runs them: real processes, real data folders. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Storage } from '../../src/core/store/storage';
import { SearchResults } from '../../src/shared/contract';
import { runCli, type CliRun } from '../support/cli';

let dirs: string[] = [];

function dataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'burrow-history-cli-'));
  dirs.push(dir);
  return dir;
}

beforeEach(() => {
  dirs = [];
});
afterEach(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function burrow(dir: string, args: string[]): Promise<CliRun> {
  return runCli(args, { dataDir: dir });
}

/** Two conversations, one with a branch, written the way the app writes them. */
function seed(dir: string): string {
  const storage = Storage.open(dir);
  try {
    const { conversations } = storage;
    const rabbits = conversations.create('Rabbit facts');
    const turn = conversations.addExchange({ conversationId: rabbits.id, text: 'Where does the rabbit sleep?' });
    conversations.updateMessage(turn.assistantMessage.id, { content: 'In a warm burrow, \u001b[31mdeep\u001b[0m underground.', status: 'complete' });
    conversations.addMessage({ conversationId: rabbits.id, parentId: turn.userMessage.id, role: 'assistant', content: 'Under the field.', status: 'complete' });
    const other = conversations.create('Weather');
    conversations.addExchange({ conversationId: other.id, text: 'Will it rain on the burrow today?' });
    return rabbits.id;
  } finally {
    storage.close();
  }
}

describe('burrow search / export / import', () => {
  it('search prints grouped hits with matches marked (escape sequences from messages removed), or JSON', async () => {
    const dir = dataDir();
    seed(dir);
    const text = await burrow(dir, ['search', 'burrow']);
    expect(text.stderr).toBe('');
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('Assistant: In a warm [burrow],  [31mdeep [0m underground.');
    expect(text.stdout).not.toContain('\u001b');
    expect(text.stdout).toMatch(/You: Will it rain on the \[burrow\] today\?/);
    expect(text.stdout).toMatch(/2 matches in 2 conversations \([\d.]+ ms\)/);

    const json = await burrow(dir, ['search', '"warm burrow"', '--json']);
    const results = SearchResults.parse(JSON.parse(json.stdout));
    expect(results.groups.map((group) => group.title)).toEqual(['Rabbit facts']);

    const nothing = await burrow(dir, ['search', 'zebra']);
    expect(nothing.stdout.trim()).toBe('Nothing found.');
    expect((await burrow(dir, ['search'])).code).toBe(2);
  });

  it('export writes an archive that import reads into another data folder; one conversation exports as Markdown', async () => {
    const from = dataDir();
    const rabbitsId = seed(from);
    const file = join(from, 'everything.json');
    const exported = await burrow(from, ['export', '--out', file]);
    expect(exported).toMatchObject({ code: 0, stderr: '' });
    expect(exported.stdout).toBe(`Saved your history to ${file}\n`);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ format: 'burrow-archive', version: 1 });

    const to = dataDir();
    const imported = await burrow(to, ['import', file]);
    expect(imported).toMatchObject({ code: 0, stderr: '' });
    expect(imported.stdout).toBe('Imported 2 conversations (5 messages) from a Burrow archive.\n');
    const listed = await burrow(to, ['list', '--json']);
    expect((JSON.parse(listed.stdout) as Array<{ title: string; messageCount: number }>).map((c) => [c.title, c.messageCount]).sort()).toEqual([
      ['Rabbit facts', 3],
      ['Weather', 2],
    ]);

    const markdown = await burrow(from, ['export', '--conversation', rabbitsId, '--format', 'markdown']);
    expect(markdown.code).toBe(0);
    expect(markdown.stdout).toMatch(/^# Rabbit facts\n/);
    expect(markdown.stdout).toContain('### Assistant');
    expect(markdown.stdout).toContain('Under the field.');
  });

  it('import refuses a file it cannot read, with the reason on stderr and exit code 1', async () => {
    const dir = dataDir();
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'just some notes');
    const refused = await burrow(dir, ['import', notes]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('burrow import: "notes.txt" is not a JSON file. Choose a Burrow archive (.json) or ChatGPT\'s conversations.json.\n');
    expect((await burrow(dir, ['import'])).code).toBe(2);
    expect((await burrow(dir, ['export', '--format', 'pdf'])).code).toBe(2);
  });
});
