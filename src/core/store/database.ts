import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { makePrivateDir, makePrivateFile } from './private-files';
import { snapshotInto } from './snapshot';
import { dirname, join } from 'node:path';
import Sqlite from 'better-sqlite3';
import type { Database } from 'better-sqlite3';
import { BurrowError } from '../../shared/errors';
import { migrations as knownMigrations, type Migration } from './migrations';

export type { Database } from 'better-sqlite3';

export const DATABASE_FILE_NAME = 'burrow.sqlite';

/** How long a statement waits for another connection's lock before failing with SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

const SQLITE_HEADER = Buffer.from('SQLite format 3\0', 'latin1');

export interface OpenDatabaseOptions {
  /** Path to better_sqlite3.node; the Electron build ships its own. Default: the one beside the package. */
  nativeBinding?: string;
  /** Open without writing anything: no migration, and the schema must already be current. Default false. */
  readonly?: boolean;
  /** The schema steps to apply. Default: every migration Burrow knows; tests pass their own. */
  migrations?: readonly Migration[];
  /**
   * Run `PRAGMA quick_check` before anything is written, and refuse (as damaged) a file that
   * does not pass. Reads every page: tens of milliseconds for a typical history, seconds for a
   * very large one (2.5 s for 97 MB on a busy 2-core machine). Default false; the app's open
   * path (`Storage.open`) turns it on up to FULL_CHECK_MAX_BYTES.
   */
  verify?: boolean;
}

/** The file is not a usable database (not SQLite, truncated, a scribbled page): it may be quarantined. */
export class DamagedDatabaseError extends BurrowError {
  /** What was wrong, in plain words. */
  readonly reason: string;
  constructor(file: string, reason: string, cause?: unknown) {
    super('storage_error', `Burrow's data file (${file}) is damaged or is not a Burrow database. It has not been changed. (${reason})`, { cause });
    this.name = 'DamagedDatabaseError';
    this.reason = reason;
  }
}

export function databasePath(dataDir: string): string {
  return join(dataDir, DATABASE_FILE_NAME);
}

/** The file `openDatabase` writes before upgrading a database to `version`. */
export function snapshotPath(file: string, version: number): string {
  return `${file}.before-v${version}.bak`;
}

/**
 * Opens (creating if needed) Burrow's database with its safety pragmas verified and its
 * schema migrated. Refuses, without writing to it, a file that is not a database, a database
 * some other program made, or one written by a newer Burrow.
 */
export function openDatabase(file: string, options: OpenDatabaseOptions = {}): Database {
  const migrations = options.migrations ?? knownMigrations;
  const latest = checkMigrationList(migrations);
  const readonly = options.readonly ?? false;
  if (!readonly) makePrivateDir(dirname(file));
  refuseIfNotSqlite(file);

  let db: Database;
  try {
    db = new Sqlite(file, {
      readonly,
      fileMustExist: readonly,
      timeout: BUSY_TIMEOUT_MS,
      ...(options.nativeBinding === undefined ? {} : { nativeBinding: options.nativeBinding }),
    });
  } catch (error) {
    throw new BurrowError('storage_error', `Burrow could not open its data file (${file}): ${messageOf(error)}`, {
      cause: error,
    });
  }

  try {
    // Everything is read before any pragma is set: journal_mode=WAL rewrites the file header,
    // and a database we are about to refuse must stay exactly as it was.
    const version = inspect(db, file, latest, options.verify ?? false);
    // SQLite gives the -wal and -shm files the database's own mode: set it before WAL makes them.
    if (!readonly && file !== ':memory:') makePrivateFile(file);
    applyPragmas(db, readonly);
    if (readonly) {
      if (version !== latest) {
        throw new BurrowError(
          'storage_error',
          `Burrow's data file (${file}) needs upgrading before it can be read. Open Burrow once to upgrade it.`,
        );
      }
    } else {
      migrate(db, file, version, migrations);
    }
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/**
 * A copy of a database (a backup, a quarantined file) opened as it is: no pragmas, no
 * migration, and it must exist. For checking and editing copies; Burrow's own file goes
 * through openDatabase.
 */
export function openCopy(path: string, options: { nativeBinding?: string | undefined } = {}): Database {
  return new Sqlite(path, { fileMustExist: true, ...(options.nativeBinding === undefined ? {} : { nativeBinding: options.nativeBinding }) });
}

/**
 * Runs `work` with the busy timeout at zero, for work that can wait for a better moment: with
 * another connection writing (a second Burrow, a backup tool) it fails at once with
 * SQLITE_BUSY instead of holding the thread for the whole timeout.
 */
export function withoutWaiting<T>(db: Database, work: () => T): T {
  const timeout = Number(db.pragma('busy_timeout', { simple: true }));
  db.pragma('busy_timeout = 0');
  try {
    return work();
  } finally {
    db.pragma(`busy_timeout = ${timeout}`);
  }
}

/** True for SQLite's "another connection holds the lock" errors. */
export function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || (typeof code === 'string' && code.startsWith('SQLITE_BUSY'));
}

/** Tidies up (statistics, WAL folded back into the file) and closes. Safe to call twice. */
export function closeDatabase(db: Database): void {
  if (!db.open) return;
  try {
    if (!db.readonly) {
      db.pragma('optimize');
      db.pragma('wal_checkpoint(TRUNCATE)');
    }
  } catch {
    // Best effort: with synchronous=FULL every commit is already durable in the WAL, and the
    // next open folds it back in. Failing here must not stop the handle from closing.
  } finally {
    db.close();
  }
}

function checkMigrationList(migrations: readonly Migration[]): number {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`Migration versions must run 1, 2, 3… in order; position ${index} has ${migration.version}.`);
    }
  });
  return migrations.length;
}

/** Decides from the raw header, before SQLite touches the file (it may create -wal/-shm files). */
function refuseIfNotSqlite(file: string): void {
  let size: number;
  try {
    size = statSync(file).size;
  } catch {
    return; // does not exist yet: SQLite creates it (or, read-only, reports it missing)
  }
  // An empty file is how SQLite starts every new database.
  if (size === 0) return;
  const header = Buffer.alloc(SQLITE_HEADER.length);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, header.length, 0);
  } finally {
    closeSync(fd);
  }
  if (size < 100) throw new DamagedDatabaseError(file, 'it is too short to be a database');
  if (!header.equals(SQLITE_HEADER)) throw new DamagedDatabaseError(file, 'it does not start like a database');
}

function inspect(db: Database, file: string, latest: number, verify: boolean): number {
  let version: number;
  let objectCount: number;
  try {
    version = Number(db.pragma('user_version', { simple: true }));
    objectCount = Number(db.prepare('SELECT count(*) FROM sqlite_schema').pluck().get());
  } catch (error) {
    throw unreadable(file, error);
  }
  if (version > latest) {
    throw new BurrowError(
      'storage_error',
      'This data was written by a newer version of Burrow. Update Burrow to open it; your conversations have not been changed.',
    );
  }
  if (version === 0 && objectCount > 0) {
    throw new BurrowError(
      'storage_error',
      `${file} is a database made by another program, not by Burrow. It has not been changed; move it away or choose another data folder.`,
    );
  }
  if (verify) {
    let problems: string[];
    try {
      problems = (db.pragma('quick_check') as Array<{ quick_check: unknown }>).map((row) => String(row.quick_check));
    } catch (error) {
      throw unreadable(file, error);
    }
    if (problems.length !== 1 || problems[0] !== 'ok') {
      throw new DamagedDatabaseError(file, `the integrity check found: ${problems.slice(0, 3).join('; ').slice(0, 300)}`);
    }
  }
  return version;
}

function applyPragmas(db: Database, readonly: boolean): void {
  // Switching the journal mode is itself a write, and a read-only handle writes nothing, so it
  // reads whatever mode the file has (a VACUUM INTO snapshot, for one, is a plain rollback file).
  if (!readonly) db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma('foreign_keys = ON');
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('secure_delete = ON');
  // Read back, because SQLite ignores some pragmas silently (WAL on an in-memory database, for one),
  // and the bundled build reopens WAL databases at synchronous=NORMAL unless told otherwise.
  if (!readonly) expectPragma(db, 'journal_mode', 'wal');
  expectPragma(db, 'synchronous', 2);
  expectPragma(db, 'foreign_keys', 1);
  expectPragma(db, 'busy_timeout', BUSY_TIMEOUT_MS);
  expectPragma(db, 'secure_delete', 1);
}

function expectPragma(db: Database, name: string, expected: string | number): void {
  const actual: unknown = db.pragma(name, { simple: true });
  const matches = typeof expected === 'string' ? String(actual).toLowerCase() === expected : Number(actual) === expected;
  if (!matches) {
    throw new BurrowError(
      'storage_error',
      `Burrow could not make its data file safe to write (${name} is ${String(actual)}, expected ${expected}).`,
    );
  }
}

function migrate(db: Database, file: string, from: number, migrations: readonly Migration[]): void {
  const pending = migrations.filter((migration) => migration.version > from);
  const target = pending.at(-1)?.version;
  if (target === undefined) return;
  // A fresh database has nothing worth keeping; an existing one gets a copy the user can go back to.
  if (from >= 1) takeSnapshot(db, snapshotPath(file, target));
  for (const migration of pending) {
    try {
      db.transaction(() => {
        // Another process may have migrated since we looked; the immediate lock makes this check exact.
        if (Number(db.pragma('user_version', { simple: true })) >= migration.version) return;
        migration.up(db);
        db.pragma(`user_version = ${migration.version}`);
      }).immediate();
    } catch (error) {
      throw new BurrowError(
        'storage_error',
        `Burrow could not upgrade its data to version ${migration.version}: ${messageOf(error)}. Your data was left as it was.`,
        { cause: error },
      );
    }
  }
}

function takeSnapshot(db: Database, target: string): void {
  try {
    snapshotInto(db, target);
  } catch (error) {
    throw new BurrowError(
      'storage_error',
      `Burrow could not make a safety copy of its data before upgrading, so nothing was changed (${messageOf(error)}). Free some disk space and try again.`,
      { cause: error },
    );
  }
}

/** A damaged file (SQLite says corrupt / not a database) versus one Burrow merely could not read now (permissions, I/O). */
function unreadable(file: string, error: unknown): BurrowError {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && /^SQLITE_(CORRUPT|NOTADB)/.test(code)) return new DamagedDatabaseError(file, messageOf(error), error);
  return new BurrowError('storage_error', `Burrow could not read its data file (${file}): ${messageOf(error)}. It has not been changed.`, { cause: error });
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
