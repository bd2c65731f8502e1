import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, openSync, readdirSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { SearchIndex } from '../../../src/core/store/search';
import { backupsDir, DAILY_BACKUPS_KEPT, dailyBackupName } from '../../../src/core/store/backups';
import { ConversationStore } from '../../../src/core/store/conversations';
import { closeDatabase, openDatabase, snapshotPath } from '../../../src/core/store/database';
import { migrations } from '../../../src/core/store/migrations';
import { initial } from '../../../src/core/store/migrations/001-initial';
import { Storage, type StorageOptions } from '../../../src/core/store/storage';
import { StoreStatus } from '../../../src/shared/contract';
import { BurrowError } from '../../../src/shared/errors';
import { sha256, useTempDataDir } from './helpers';

const temp = useTempDataDir();
const opened: Storage[] = [];
afterEach(() => {
  for (const storage of opened.splice(0)) storage.close();
});

const DAY = 24 * 60 * 60 * 1000;

function open(options: StorageOptions = {}): Storage {
  const storage = Storage.open(temp.dir, options);
  opened.push(storage);
  return storage;
}

function close(storage: Storage): void {
  storage.close();
  opened.splice(opened.indexOf(storage), 1);
}

/** A database big enough to have many pages (about 100 KB of text). */
function writeConversations(storage: Storage, count = 40, label = 'rabbit'): void {
  for (let i = 0; i < count; i++) {
    const { id } = storage.conversations.create(`${label} chat ${i}`);
    storage.conversations.addMessage({ conversationId: id, role: 'user', content: `${label} question ${i} ${'words '.repeat(400)}`, status: 'complete' });
  }
}

function expectStorageError(action: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(BurrowError);
  expect((thrown as BurrowError).code).toBe('storage_error');
  expect((thrown as BurrowError).message).toMatch(message);
}

const quarantinedFiles = (): string[] => readdirSync(temp.dir).filter((name) => name.includes('.damaged-'));

describe('opening a damaged database', () => {
  const damages: Array<[string, (file: string) => void, RegExp]> = [
    ['garbage instead of a header', (file) => writeFileSync(file, 'These are my notes, not a database.\n'.repeat(500)), /does not start like a database/],
    ['a file cut in half', (file) => truncateSync(file, Math.floor(statSync(file).size / 2)), /shorter than its header says/],
    [
      'a scribbled page',
      (file) => {
        const pages = statSync(file).size / 4096;
        const fd = openSync(file, 'r+');
        writeSync(fd, randomBytes(4096), 0, 4096, Math.floor(pages / 2) * 4096);
        closeSync(fd);
      },
      /integrity check|malformed|corrupt/i,
    ],
  ];

  for (const [kind, damage, reason] of damages) {
    it(`quarantines ${kind}: renamed, kept byte for byte, and a fresh database opened`, async () => {
      const before = open();
      writeConversations(before);
      close(before);
      damage(temp.file);
      const damagedHash = await sha256(temp.file);

      const storage = open({ now: () => Date.UTC(2024, 4, 1, 10, 20, 30) });
      const status = storage.status();
      expect(StoreStatus.parse(status)).toEqual(status);
      expect(status.quarantined).toMatchObject({ file: 'burrow.sqlite.damaged-2024-05-01T10-20-30-000Z', at: Date.UTC(2024, 4, 1, 10, 20, 30) });
      expect(status.quarantined?.reason).toMatch(reason);
      expect(await sha256(join(temp.dir, status.quarantined?.file ?? ''))).toBe(damagedHash);
      expect(storage.conversations.list()).toEqual([]);
      storage.conversations.create('A fresh start');
      expect(storage.db.pragma('quick_check', { simple: true })).toBe('ok');
    });
  }

  it('quarantines an empty file when backups exist (the history was lost, not never made)', async () => {
    const first = open();
    writeConversations(first, 2);
    expect(await first.makeDailyBackup()).toBe(dailyBackupName(Date.now()));
    close(first);
    writeFileSync(temp.file, '');

    const storage = open();
    expect(storage.status().quarantined?.reason).toBe('The data file was empty although backups exist.');
    expect(storage.status().backups.map((backup) => backup.kind)).toEqual(['daily']);
    expect(quarantinedFiles()).toHaveLength(1);
  });

  it('treats an empty file without backups as a new database', () => {
    writeFileSync(temp.file, '');
    const storage = open();
    expect(storage.status()).toEqual({ quarantined: null, backups: [] });
    expect(quarantinedFiles()).toEqual([]);
  });

  it('moves the journal files with the damaged file, so they never meet a new database', () => {
    const before = open();
    writeConversations(before, 5);
    close(before);
    writeFileSync(temp.file, 'x'.repeat(8192));
    writeFileSync(`${temp.file}-wal`, 'stale log');
    const storage = open();
    const file = storage.status().quarantined?.file ?? '';
    expect(existsSync(join(temp.dir, `${file}-wal`))).toBe(true);
    expect(storage.conversations.list()).toEqual([]);
  });

  it('refuses a database from a newer Burrow, untouched and not quarantined', async () => {
    const db = openDatabase(temp.file);
    db.pragma('user_version = 99');
    closeDatabase(db);
    const before = await sha256(temp.file);
    expectStorageError(() => open(), /^This data was written by a newer version of Burrow/);
    expect(await sha256(temp.file)).toBe(before);
    expect(quarantinedFiles()).toEqual([]);
  });

  it('refuses another program\'s database, untouched and not quarantined', async () => {
    const other = new Sqlite(temp.file);
    other.exec('CREATE TABLE recipes (name TEXT)');
    other.close();
    const before = await sha256(temp.file);
    expectStorageError(() => open(), /made by another program/);
    expect(await sha256(temp.file)).toBe(before);
    expect(quarantinedFiles()).toEqual([]);
  });
});

describe('daily backups', () => {
  it('makes at most one a day, keeps the last 7, and skips an empty history', async () => {
    let now = Date.UTC(2024, 0, 10, 12);
    const storage = open({ now: () => now });
    expect(await storage.makeDailyBackup()).toBeNull();
    writeConversations(storage, 1);
    const made: string[] = [];
    for (let day = 0; day < 10; day++) {
      const name = await storage.makeDailyBackup();
      expect(name).toBe(dailyBackupName(now));
      made.push(name ?? '');
      expect(await storage.makeDailyBackup()).toBeNull();
      now += DAY;
    }
    const kept = readdirSync(backupsDir(temp.dir)).sort();
    expect(kept).toEqual(made.slice(-DAILY_BACKUPS_KEPT).sort());
    expect(storage.status().backups.filter((backup) => backup.kind === 'daily')).toHaveLength(DAILY_BACKUPS_KEPT);
    // A backup is a complete database on its own.
    const copy = new Sqlite(join(backupsDir(temp.dir), kept[0] ?? ''), { readonly: true });
    expect(copy.prepare('SELECT count(*) FROM conversations').pluck().get()).toBe(1);
    expect(copy.pragma('quick_check', { simple: true })).toBe('ok');
    copy.close();
  });

  it('copies a large database with the online backup, one at a time, without blocking', async () => {
    // Every database counts as large here.
    const storage = open({ vacuumBackupMaxBytes: 0 });
    writeConversations(storage, 3);
    const making = storage.makeDailyBackup();
    expect(await storage.makeDailyBackup()).toBeNull();
    // The copy is made in steps: other statements run meanwhile.
    storage.conversations.create('Written during the backup');
    const name = await making;
    expect(name).toBe(dailyBackupName(Date.now()));
    expect(readdirSync(backupsDir(temp.dir))).toEqual([name]);
    // Read through a copy: the online backup keeps the write-ahead header, so opening it in
    // place would leave journal files beside it.
    const copyPath = join(temp.dir, 'inspect.sqlite');
    copyFileSync(join(backupsDir(temp.dir), name ?? ''), copyPath);
    const copy = new Sqlite(copyPath);
    expect(copy.pragma('quick_check', { simple: true })).toBe('ok');
    expect(Number(copy.prepare('SELECT count(*) FROM conversations').pluck().get())).toBeGreaterThanOrEqual(3);
    copy.close();
    storage.restore(name ?? '');
    expect(storage.conversations.list().length).toBeGreaterThanOrEqual(3);
  });

  it('lists the pre-upgrade snapshot too, and resolves only listed names', () => {
    const v1 = openDatabase(temp.file, { migrations: [initial] });
    v1.exec("INSERT INTO conversations VALUES ('c', 'Old', 0, 0)");
    closeDatabase(v1);
    const storage = open();
    const snapshot = `burrow.sqlite.before-v${migrations.length}.bak`;
    expect(storage.status().backups.map((backup) => [backup.name, backup.kind])).toEqual([[snapshot, 'before-upgrade']]);
    for (const name of ['../burrow.sqlite', 'burrow.sqlite', '/etc/passwd', 'burrow-2024-01-01.sqlite']) {
      expect(() => storage.backups.resolve(name)).toThrow('That backup no longer exists.');
    }
    expect(storage.backups.resolve(snapshot)).toBe(snapshotPath(temp.file, migrations.length));
  });
});

describe('restoring a backup', () => {
  it('swaps the file, keeps the replaced one, rebuilds search and keeps the stores working', async () => {
    let now = Date.UTC(2024, 0, 10, 12);
    const storage = open({ now: () => now });
    const search = new SearchIndex(storage.handle);
    const conversations = storage.conversations;
    writeConversations(storage, 3, 'rabbit');
    const backup = (await storage.makeDailyBackup()) ?? '';
    now += 1000;
    for (const conversation of conversations.list()) conversations.delete(conversation.id);
    writeConversations(storage, 2, 'otter');

    const status = storage.restore(backup);
    expect(StoreStatus.parse(status)).toEqual(status);
    expect(conversations.list().map((c) => c.title).sort()).toEqual(['rabbit chat 0', 'rabbit chat 1', 'rabbit chat 2']);
    expect(search.search('rabbit').groups).toHaveLength(3);
    expect(search.search('otter').groups).toEqual([]);
    expect(storage.db.prepare("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)").run()).toBeTruthy();
    conversations.create('Written after the restore');

    const replaced = status.backups.find((item) => item.kind === 'before-restore');
    expect(replaced?.name).toBe('burrow.sqlite.before-restore-2024-01-10T12-00-01-000Z');
    const old = new Sqlite(join(temp.dir, replaced?.name ?? ''), { readonly: true });
    expect(old.prepare('SELECT title FROM conversations ORDER BY title').pluck().all()).toEqual(['otter chat 0', 'otter chat 1']);
    old.close();
  });

  it('restores a pre-upgrade snapshot by upgrading it', () => {
    const v1 = openDatabase(temp.file, { migrations: [initial] });
    v1.exec("INSERT INTO conversations VALUES ('c', 'From version 1', 0, 0)");
    closeDatabase(v1);
    const storage = open();
    storage.conversations.create('Newer');
    storage.restore(`burrow.sqlite.before-v${migrations.length}.bak`);
    expect(storage.conversations.list().map((c) => c.title)).toEqual(['From version 1']);
    expect(storage.db.pragma('user_version', { simple: true })).toBe(migrations.length);
  });

  it('refuses a damaged backup and leaves the current history as it was', async () => {
    const storage = open();
    writeConversations(storage, 2);
    const name = (await storage.makeDailyBackup()) ?? '';
    writeFileSync(join(backupsDir(temp.dir), name), 'garbage'.repeat(1000));
    const before = new ConversationStore(storage.db).list();
    expectStorageError(() => storage.restore(name), /cannot be restored.*unchanged/);
    expect(storage.conversations.list()).toEqual(before);
    expect(readdirSync(temp.dir).filter((file) => file.includes('restor'))).toEqual([]);
    expect(() => storage.restore('../../etc/passwd')).toThrow('That backup no longer exists.');
  });

  it('survives a backup copied in from elsewhere in write-ahead mode', async () => {
    const storage = open();
    writeConversations(storage, 1);
    const name = (await storage.makeDailyBackup()) ?? '';
    // A copy of a live database file (header says WAL), as a user might drop one in.
    storage.db.pragma('wal_checkpoint(TRUNCATE)');
    copyFileSync(temp.file, join(backupsDir(temp.dir), name));
    storage.restore(name);
    expect(storage.conversations.list()).toHaveLength(1);
  });
});

describe('search indexes after an unclean shutdown', () => {
  it('are checked against their tables and rebuilt when they disagree; a clean close skips the check', () => {
    const first = open();
    writeConversations(first, 3, 'meadow');
    close(first);
    expect(open().repairedIndexes, 'a clean close leaves no log: nothing to check').toEqual([]);
    close(opened[0]!);

    // A connection that writes and is never closed leaves its write-ahead log behind, as a crash does.
    const file = join(temp.dir, 'burrow.sqlite');
    const crashed = new Sqlite(file);
    // A ghost entry, the kind of disagreement the kill test once found: search would invent a match.
    crashed.prepare("INSERT INTO messages_fts (rowid, content) VALUES (987654, 'phantom words')").run();
    expect(() => crashed.prepare("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)").run()).toThrow(/fts5|malformed|corrupt/i);
    expect(statSync(`${file}-wal`).size).toBeGreaterThan(0);

    const reopened = open();
    expect(reopened.repairedIndexes).toEqual(['messages_fts']);
    expect(() => reopened.db.prepare("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)").run()).not.toThrow();
    expect(reopened.db.prepare("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'phantom'").pluck().get()).toBe(0);
    // The three questions, still queued for the index when the file was left (migration 6):
    // the search indexes them before it reads.
    const hits = new SearchIndex(reopened.handle).search('question').groups.flatMap((group) => group.hits);
    expect(hits.map((hit) => hit.kind)).toEqual(['message', 'message', 'message']);
    crashed.close();
  });
});
