import { copyFileSync, existsSync, mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ConversationStore } from '../../../src/core/store/conversations';
import { closeDatabase, databasePath, snapshotPath, type Database } from '../../../src/core/store/database';
import { migrations, type Migration } from '../../../src/core/store/migrations';
import { BurrowError } from '../../../src/shared/errors';
import { sha256, useTempDataDir } from './helpers';

const temp = useTempDataDir();

function safetyPragmas(db: Database) {
  return {
    journalMode: db.pragma('journal_mode', { simple: true }),
    synchronous: db.pragma('synchronous', { simple: true }),
    foreignKeys: db.pragma('foreign_keys', { simple: true }),
    busyTimeout: db.pragma('busy_timeout', { simple: true }),
    secureDelete: db.pragma('secure_delete', { simple: true }),
  };
}

const SAFE = { journalMode: 'wal', synchronous: 2, foreignKeys: 1, busyTimeout: 5000, secureDelete: 1 };

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

/** A pretend next version, so the upgrade path is exercised before a real one exists. */
const NEXT = migrations.length + 1;
const addTags: Migration = {
  version: NEXT,
  up(db) {
    db.exec('CREATE TABLE tags (name TEXT PRIMARY KEY NOT NULL) STRICT');
  },
};

describe('databasePath', () => {
  it('puts burrow.sqlite in the data folder', () => {
    expect(databasePath('/data')).toBe(join('/data', 'burrow.sqlite'));
  });
});

describe('openDatabase', () => {
  it('creates the data folder and sets every safety pragma on first open', () => {
    const db = temp.open(join(temp.dir, 'nested', 'deeper', 'burrow.sqlite'));
    expect(safetyPragmas(db)).toEqual(SAFE);
  });

  it('sets them again on reopen, where SQLite would otherwise fall back to synchronous=NORMAL', () => {
    closeDatabase(temp.open());
    const reopened = temp.open();
    expect(safetyPragmas(reopened)).toEqual(SAFE);
  });

  it('refuses to run where write-ahead logging cannot be in force, rather than run unsafely', () => {
    // SQLite answers journal_mode=WAL on an in-memory database with "memory", without an error.
    expectStorageError(() => temp.open(':memory:'), /journal_mode is memory, expected wal/);
  });

  it('keeps what was written across close and reopen', () => {
    const db = temp.open();
    const created = new ConversationStore(db).create('Holiday plans');
    closeDatabase(db);
    expect(new ConversationStore(temp.open()).list()).toEqual([created]);
  });

  it('leaves a complete database in the main file once closed (a copy of it alone is a full backup)', () => {
    const db = temp.open();
    const created = new ConversationStore(db).create('Kept');
    closeDatabase(db);
    closeDatabase(db); // closing twice is harmless
    const copy = join(temp.dir, 'copy', 'burrow.sqlite');
    mkdirSync(dirname(copy));
    copyFileSync(temp.file, copy);
    expect(new ConversationStore(temp.open(copy)).list()).toEqual([created]);
  });

  it('opens read-only without allowing writes', () => {
    closeDatabase(temp.open());
    const db = temp.open(temp.file, { readonly: true });
    expect(db.readonly).toBe(true);
    expect(() => new ConversationStore(db).create()).toThrow(/read-only/);
  });

  it('reports a missing file opened read-only as a storage error', () => {
    expectStorageError(() => temp.open(join(temp.dir, 'absent.sqlite'), { readonly: true }), /could not open/);
  });
});

describe('migrations', () => {
  it('bring a new database to the latest version', () => {
    const db = temp.open();
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
  });

  it('make no snapshot of a brand-new database', () => {
    temp.open();
    expect(readdirSync(temp.dir).filter((name) => name.endsWith('.bak'))).toEqual([]);
  });

  it('snapshot an existing database before upgrading it, and the snapshot holds the old data', () => {
    const v1 = temp.open(temp.file, { migrations: [...migrations] });
    const created = new ConversationStore(v1).create('Before the upgrade');
    closeDatabase(v1);

    const v2 = temp.open(temp.file, { migrations: [...migrations, addTags] });
    expect(v2.pragma('user_version', { simple: true })).toBe(NEXT);
    v2.prepare('INSERT INTO tags (name) VALUES (?)').run('work');

    const backup = snapshotPath(temp.file, NEXT);
    expect(backup).toBe(`${temp.file}.before-v${NEXT}.bak`);
    const snapshot = temp.open(backup, { readonly: true, migrations: [...migrations] });
    expect(snapshot.pragma('user_version', { simple: true })).toBe(migrations.length);
    expect(new ConversationStore(snapshot).list()).toEqual([created]);
    expect(snapshot.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'tags'").pluck().get()).toBe(0);
  });

  it('leave the database at its old version when an upgrade step fails', () => {
    closeDatabase(temp.open());
    const broken: Migration = {
      version: NEXT,
      up(db) {
        db.exec('CREATE TABLE half_done (x INTEGER) STRICT');
        throw new Error('disk full');
      },
    };
    expectStorageError(() => temp.open(temp.file, { migrations: [...migrations, broken] }), new RegExp(`version ${NEXT}: disk full`));

    const db = temp.open();
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'").pluck().get()).toBe(0);
  });

  it('reject a migration list with gaps', () => {
    expect(() => temp.open(temp.file, { migrations: [addTags] })).toThrow(/must run 1, 2, 3/);
  });
});

describe('files Burrow must not touch', () => {
  it('refuses a database from a newer Burrow and leaves its bytes unchanged', async () => {
    const db = temp.open();
    new ConversationStore(db).create('Written by the future');
    db.pragma('user_version = 99');
    closeDatabase(db);
    const before = await sha256(temp.file);

    expectStorageError(() => temp.open(), /^This data was written by a newer version of Burrow/);
    expect(await sha256(temp.file)).toBe(before);
    expect(readdirSync(temp.dir)).toEqual(['burrow.sqlite']);

    // A read-only look leaves SQLite's empty -wal/-shm companions behind, but the data file is as it was.
    expectStorageError(() => temp.open(temp.file, { readonly: true }), /newer version of Burrow/);
    expect(await sha256(temp.file)).toBe(before);
  });

  it('refuses a file that is not a database and leaves it unchanged', async () => {
    writeFileSync(temp.file, 'These are my notes, not a database.\n'.repeat(200));
    const before = await sha256(temp.file);

    expectStorageError(() => temp.open(), /damaged or is not a Burrow database\. It has not been changed/);

    expect(await sha256(temp.file)).toBe(before);
    expect(readdirSync(temp.dir)).toEqual(['burrow.sqlite']);
  });

  it('refuses a file with a database header but damaged contents, and leaves it unchanged', async () => {
    const header = Buffer.from('SQLite format 3\0', 'latin1');
    writeFileSync(temp.file, Buffer.concat([header, Buffer.alloc(4096 - header.length, 0xab)]));
    const before = await sha256(temp.file);

    expectStorageError(() => temp.open(), /damaged or is not a Burrow database/);

    expect(await sha256(temp.file)).toBe(before);
  });

  it('refuses an SQLite database made by another program and leaves it unchanged', async () => {
    const other = new Sqlite(temp.file);
    other.exec("CREATE TABLE recipes (name TEXT); INSERT INTO recipes VALUES ('soup');");
    other.close();
    const before = await sha256(temp.file);

    expectStorageError(() => temp.open(), /made by another program/);

    expect(await sha256(temp.file)).toBe(before);
    expect(existsSync(snapshotPath(temp.file, 1))).toBe(false);
  });
});
