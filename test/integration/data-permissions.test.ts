/**
 * SECURITY.md item 29: the data folder is 0700 and every file Burrow writes in it 0600 on
 * Linux and macOS — at creation and at every open (older folders are closed up too).
 */
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAssistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import { closeDatabase, databasePath, openDatabase, snapshotPath } from '../../src/core/store/database';
import { migrations } from '../../src/core/store/migrations';
import { Storage } from '../../src/core/store/storage';

let root: string;
let dataDir: string;
let previousUmask: number;

beforeEach(() => {
  // The usual desktop umask: without care, folders come out 0755 and files 0644.
  previousUmask = process.umask(0o022);
  root = mkdtempSync(join(tmpdir(), 'burrow-perms-'));
  dataDir = join(root, 'data');
});

afterEach(() => {
  process.umask(previousUmask);
  rmSync(root, { recursive: true, force: true });
});

/** Every entry under `dir` with its permission bits, symbolic links excepted. */
function modes(dir: string): Map<string, { kind: 'dir' | 'file'; mode: number }> {
  const found = new Map<string, { kind: 'dir' | 'file'; mode: number }>();
  found.set('.', { kind: 'dir', mode: statSync(dir).mode & 0o777 });
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: false }) as string[]) {
    const stat = lstatSync(join(dir, entry));
    if (stat.isSymbolicLink()) continue;
    found.set(entry, { kind: stat.isDirectory() ? 'dir' : 'file', mode: stat.mode & 0o777 });
  }
  return found;
}

function expectPrivate(dir: string): void {
  const wrong = [...modes(dir)].filter(([, { kind, mode }]) => mode !== (kind === 'dir' ? 0o700 : 0o600)).map(([name, { mode }]) => `${name} ${mode.toString(8)}`);
  expect(wrong).toEqual([]);
}

describe.skipIf(process.platform === 'win32')('data folder permissions', () => {
  it('a new data folder, its database, journal files, backups and models folder are private', async () => {
    const assistant = createAssistant({ dataDir, spawnEngine: spawnNodeEngine(), pickModelFile: () => Promise.resolve(null) });
    const conversation = assistant.conversations.create('Private');
    assistant.conversations.addMessage({ conversationId: conversation.id, role: 'user', content: 'my secret', status: 'complete' });
    expect(await assistant.storage.makeDailyBackup()).not.toBeNull();
    const entries = modes(dataDir);
    for (const name of ['burrow.sqlite', 'burrow.sqlite-wal', 'burrow.sqlite-shm', 'backups', 'models']) expect(entries.has(name), name).toBe(true);
    expectPrivate(dataDir);
    // A restore keeps the current file as a before-restore copy.
    assistant.storage.restore(assistant.storage.backups.list()[0]!.name);
    expect([...modes(dataDir).keys()].some((name) => name.includes('before-restore'))).toBe(true);
    expectPrivate(dataDir);
    await assistant.dispose();
    expectPrivate(dataDir);
  });

  it('the copy taken before an upgrade is private', () => {
    const file = databasePath(dataDir);
    closeDatabase(openDatabase(file, { migrations: migrations.slice(0, 1) }));
    closeDatabase(openDatabase(file));
    expect(modes(dataDir).has(basename(snapshotPath(file, migrations.length)))).toBe(true);
    expectPrivate(dataDir);
  });

  it('closes up a folder an older Burrow left open, quarantined files included, at the next open', () => {
    const first = Storage.open(dataDir);
    first.close();
    mkdirSync(join(dataDir, 'backups'), { recursive: true });
    writeFileSync(join(dataDir, 'backups', 'burrow-2026-01-01.sqlite'), 'old backup');
    writeFileSync(join(dataDir, 'burrow.sqlite.damaged-2026-01-01T00-00-00'), 'damaged');
    for (const entry of modes(dataDir).keys()) {
      const path = join(dataDir, entry);
      chmodSync(path, statSync(path).isDirectory() ? 0o755 : 0o644);
    }
    // A damaged current file is quarantined; its new name must not become readable either.
    writeFileSync(join(dataDir, 'burrow.sqlite'), 'x'.repeat(4096));
    const reopened = Storage.open(dataDir);
    expect(reopened.status().quarantined).not.toBeNull();
    reopened.close();
    expectPrivate(dataDir);
  });

  it('leaves what a symbolic link in the folder points to alone', () => {
    const outside = join(root, 'elsewhere.txt');
    writeFileSync(outside, 'not Burrow’s');
    chmodSync(outside, 0o644);
    mkdirSync(dataDir, { recursive: true });
    symlinkSync(outside, join(dataDir, 'link.txt'));
    Storage.open(dataDir).close();
    expect(statSync(outside).mode & 0o777).toBe(0o644);
    expectPrivate(dataDir);
  });
});
