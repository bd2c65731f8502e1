/**
 * Burrow's database as the app uses it: opened with an integrity check, quarantined (renamed,
 * never deleted) when damaged, backed up daily, and restorable from a backup while running.
 * Stores keep their identity across a restore: they share one handle, re-pointed at the new file.
 */
import { closeSync, copyFileSync, existsSync, linkSync, openSync, readSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { StoreStatus } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import { ArchiveStore } from './archive-store';
import { Backups, fileStamp } from './backups';
import { fsyncDirectory, fsyncFile } from './snapshot';
import { ConversationStore } from './conversations';
import { closeDatabase, DamagedDatabaseError, databasePath, openCopy, openDatabase, type Database } from './database';
import { StoreMaintenance } from './maintenance';
import { makePrivateFile, securePrivateTree } from './private-files';
import { purgeConversationFromCopies, type PurgeReport } from './purge-copies';
import { migrations as knownMigrations, type Migration } from './migrations';
import { rebuildSearchIndexes, repairSearchIndexes } from './search-repair';
import { SettingsStore } from './settings';
import { DatabaseHandle } from './handle';

export interface StorageOptions {
  /** better_sqlite3.node built for this runtime (Electron). */
  nativeBinding?: string;
  /** Millisecond clock (backup names, quarantine names). Default Date.now. */
  now?: () => number;
  /** Default: every migration Burrow knows. */
  migrations?: readonly Migration[];
  /** Largest database backed up with VACUUM INTO (above: the online backup). Default VACUUM_BACKUP_MAX_BYTES. */
  vacuumBackupMaxBytes?: number;
}

type Quarantine = NonNullable<StoreStatus['quarantined']>;

const COMPANIONS = ['-wal', '-shm', '-journal'];

/**
 * Up to this size the whole file is checked (`PRAGMA quick_check`) at every open: well under a
 * second on a typical machine. A larger history gets the cheap checks only (header, length,
 * schema), so start-up stays fast; damage there surfaces as "the data file is damaged" when
 * the damaged part is read.
 */
export const FULL_CHECK_MAX_BYTES = 128 * 1024 * 1024;

export class Storage {
  readonly file: string;
  readonly backups: Backups;
  readonly conversations: ConversationStore;
  readonly settings: SettingsStore;
  readonly archive: ArchiveStore;
  /** FTS merges and WAL checkpoints, done when the database is quiet (maintenance.ts). */
  readonly maintenance: StoreMaintenance;
  /** Search indexes found out of step with their tables after an unclean shutdown, and rebuilt at open. */
  readonly repairedIndexes: readonly string[];
  readonly #options: StorageOptions;
  readonly #now: () => number;
  /** The connection every store uses, re-pointed by a restore (handle.ts). */
  readonly handle: DatabaseHandle;
  #quarantined: Quarantine | null;
  #backingUp: Promise<string | null> | null = null;

  private constructor(file: string, db: Database, quarantined: Quarantine | null, backups: Backups, options: StorageOptions, repairedIndexes: readonly string[]) {
    this.file = file;
    this.repairedIndexes = repairedIndexes;
    this.handle = new DatabaseHandle(db);
    this.#quarantined = quarantined;
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.backups = backups;
    this.conversations = new ConversationStore(this.handle);
    this.settings = new SettingsStore(this.handle);
    this.archive = new ArchiveStore(this.handle);
    this.maintenance = new StoreMaintenance(this.handle);
    this.maintenance.start();
  }

  /**
   * Opens `<dataDir>/burrow.sqlite`. A damaged file (not SQLite, truncated, failing
   * quick_check), or an empty one while backups exist, is renamed to
   * `burrow.sqlite.damaged-<time>` and a fresh database is opened; `status()` says so. A
   * database from a newer Burrow, or another program's, is refused untouched (throws).
   */
  static open(dataDir: string, options: StorageOptions = {}): Storage {
    const now = options.now ?? Date.now;
    // Before anything is written in it: nobody else may even list the folder.
    securePrivateTree(dataDir);
    const file = databasePath(dataDir);
    const backups = new Backups(dataDir, now, options.vacuumBackupMaxBytes === undefined ? {} : { vacuumMaxBytes: options.vacuumBackupMaxBytes });
    let quarantined: Quarantine | null = null;
    if (isEmptyFile(file) && backups.list().length > 0) {
      quarantined = quarantine(file, 'The data file was empty although backups exist.', now());
    }
    // A write-ahead log left behind means Burrow (or the machine) stopped without closing.
    const unclean = nonEmpty(`${file}-wal`);
    let db: Database;
    try {
      const truncated = truncation(file);
      if (truncated !== null) throw new DamagedDatabaseError(file, truncated);
      db = openVerified(file, options);
    } catch (error) {
      if (!(error instanceof DamagedDatabaseError)) throw error;
      quarantined = quarantine(file, `The data file is damaged: ${error.reason}`, now());
      db = openVerified(file, options);
    }
    const repaired = unclean && quarantined === null ? repairSearchIndexes(db) : [];
    // After opening: the database and its -wal and -shm exist now, whatever umask made them.
    securePrivateTree(dataDir);
    return new Storage(file, db, quarantined, backups, options, repaired);
  }

  get db(): Database {
    return this.handle.db;
  }

  /**
   * Deletes a conversation, already deleted here, from every copy in the data folder (backups,
   * before-upgrade and before-restore copies, quarantined files). See purge-copies.ts.
   */
  purgeFromCopies(conversationId: string): PurgeReport {
    return purgeConversationFromCopies(dirname(this.file), conversationId, this.#options.nativeBinding === undefined ? {} : { nativeBinding: this.#options.nativeBinding });
  }

  status(): StoreStatus {
    return { quarantined: this.#quarantined, backups: this.backups.list() };
  }

  /**
   * Today's backup, unless it exists, one is being made, the history is empty, or this run
   * started from a quarantine (an empty fresh database must not push good backups out of the
   * last 7). Never rejects: a failed backup (a full disk, the database closed meanwhile) is
   * logged and tried again later. Resolves with the new backup's name, or null.
   */
  async makeDailyBackup(): Promise<string | null> {
    if (this.#quarantined !== null || this.#backingUp !== null) return null;
    try {
      const count = Number(this.db.prepare('SELECT count(*) FROM conversations').pluck().get());
      if (count === 0) return null;
      this.#backingUp = this.backups.makeDaily(this.db);
      return await this.#backingUp;
    } catch (error) {
      console.error('[burrow] daily backup failed:', error instanceof Error ? error.message : error);
      return null;
    } finally {
      this.#backingUp = null;
    }
  }

  /**
   * Replaces the database with the backup called `name` (from `backups.list()`). The current
   * file is kept as `burrow.sqlite.before-restore-<time>` first. Synchronous from close to
   * reopen, so nothing can use the handle in between; callers stop running answers first.
   */
  restore(name: string): StoreStatus {
    const source = this.backups.resolve(name);
    const incoming = `${this.file}.restoring`;
    const kept = `${this.file}.before-restore-${fileStamp(this.#now())}`;
    // Checked as a copy: opening the backup itself could leave journal files beside it.
    copyFileSync(source, incoming);
    makePrivateFile(incoming);
    try {
      fsyncFile(incoming);
      checkBackup(incoming, this.#options);
      // The copy's search indexes are rebuilt before it replaces anything (VACUUM INTO may have
      // renumbered rowids): a crash after the swap then leaves a consistent file, never stale indexes.
      const copy = openVerified(incoming, this.#options);
      try {
        rebuildSearchIndexes(copy);
      } finally {
        closeDatabase(copy);
      }
      fsyncFile(incoming);
    } catch (error) {
      rmSync(incoming, { force: true });
      for (const suffix of COMPANIONS) rmSync(`${incoming}${suffix}`, { force: true });
      if (error instanceof BurrowError) throw error;
      throw new BurrowError('storage_error', `That backup cannot be restored (${error instanceof Error ? error.message : String(error)}). Your current history is unchanged.`, { cause: error });
    }

    closeDatabase(this.db);
    let swapped = false;
    let restored: Database | undefined;
    try {
      if (COMPANIONS.some((suffix) => nonEmpty(`${this.file}${suffix}`))) {
        // Another process (the command line, a second window) still has it open, or the final
        // checkpoint failed (a full disk): replacing the file now would lose what it holds.
        throw new BurrowError('storage_error', 'Burrow could not replace its data file because it is still in use or the disk is full. Close other Burrow windows and commands, free some disk space, and try again. Your current history is unchanged.');
      }
      keepCopy(this.file, kept);
      renameSync(incoming, this.file);
      swapped = true;
      for (const suffix of COMPANIONS) rmSync(`${this.file}${suffix}`, { force: true });
      fsyncDirectory(dirname(this.file));
      restored = openVerified(this.file, this.#options);
      this.handle.repoint(restored);
      this.#quarantined = null;
      return this.status();
    } catch (error) {
      if (restored !== undefined) closeDatabase(restored);
      rmSync(incoming, { force: true });
      // Put the previous file back and carry on with it.
      if (swapped) {
        renameSync(kept, this.file);
        fsyncDirectory(dirname(this.file));
      }
      this.handle.repoint(openVerified(this.file, this.#options));
      if (error instanceof BurrowError) throw error;
      throw new BurrowError('storage_error', `Burrow could not restore that backup: ${error instanceof Error ? error.message : String(error)}. Your current history is unchanged.`, { cause: error });
    }
  }

  close(): void {
    this.maintenance.stop();
    closeDatabase(this.db);
  }
}

function openVerified(file: string, options: StorageOptions): Database {
  return openDatabase(file, {
    verify: fileSize(file) <= FULL_CHECK_MAX_BYTES,
    ...(options.nativeBinding === undefined ? {} : { nativeBinding: options.nativeBinding }),
    ...(options.migrations === undefined ? {} : { migrations: options.migrations }),
  });
}

/**
 * Moves a damaged file (and its journal companions, first, so a crash midway can never pair
 * an old journal with a new database) to `<file>.damaged-<time>`.
 */
function quarantine(file: string, reason: string, at: number): Quarantine {
  const target = `${file}.damaged-${fileStamp(at)}`;
  for (const suffix of COMPANIONS) {
    if (existsSync(`${file}${suffix}`)) renameSync(`${file}${suffix}`, `${target}${suffix}`);
  }
  renameSync(file, target);
  fsyncDirectory(dirname(file));
  console.warn(`[burrow] ${reason} It was kept as ${basename(target)}; starting with an empty history.`);
  return { file: basename(target), reason, at };
}

/** A backup worth restoring: a Burrow database this version can open (upgrading it if older) that passes quick_check. */
function checkBackup(path: string, options: StorageOptions): void {
  const migrations = options.migrations ?? knownMigrations;
  let db: Database | undefined;
  try {
    db = openCopy(path, options);
    const version = Number(db.pragma('user_version', { simple: true }));
    const check = db.pragma('quick_check') as Array<{ quick_check: unknown }>;
    if (version < 1 || version > migrations.length) throw new Error(`it is schema version ${version}`);
    if (check.length !== 1 || check[0]?.quick_check !== 'ok') throw new Error('it failed the integrity check');
  } catch (error) {
    throw new BurrowError('storage_error', `That backup cannot be restored (${error instanceof Error ? error.message : String(error)}). Your current history is unchanged.`, { cause: error });
  } finally {
    db?.close();
  }
}

/** A second name for the current file (a hard link costs no space); a copy where links are not supported. */
function keepCopy(file: string, target: string): void {
  try {
    linkSync(file, target);
  } catch {
    copyFileSync(file, target);
    makePrivateFile(target);
    fsyncFile(target);
  }
}

/**
 * A file shorter than its own header says it is (cut off by a failed copy or a full disk), or
 * null. The header's page count is trusted only when SQLite marked it valid (bytes 24 and 92
 * equal) and no write-ahead log is waiting: a checkpoint interrupted by a crash may have
 * written the new header before the pages after it, which the log still holds.
 */
function truncation(file: string): string | null {
  const size = fileSize(file);
  if (size < 100 || fileSize(`${file}-wal`) > 0) return null;
  const header = Buffer.alloc(100);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, header, 0, 100, 0);
  } finally {
    closeSync(fd);
  }
  if (!header.subarray(0, 16).equals(Buffer.from('SQLite format 3\0', 'latin1'))) return null;
  const rawPageSize = header.readUInt16BE(16);
  const pageSize = rawPageSize === 1 ? 65536 : rawPageSize;
  const pages = header.readUInt32BE(28);
  const valid = header.readUInt32BE(24) === header.readUInt32BE(92);
  if (!valid || pages === 0 || pageSize < 512) return null;
  return size < pages * pageSize ? `the file is shorter than its header says (${size} of ${pages * pageSize} bytes): it was cut off` : null;
}

function fileSize(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function isEmptyFile(path: string): boolean {
  try {
    return statSync(path).size === 0;
  } catch {
    return false;
  }
}

function nonEmpty(path: string): boolean {
  try {
    return statSync(path).size > 0;
  } catch {
    return false;
  }
}
