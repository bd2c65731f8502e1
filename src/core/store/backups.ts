/**
 * Copies of the database the user can go back to: one a day (`backups/burrow-YYYY-MM-DD.sqlite`,
 * the last DAILY_BACKUPS_KEPT kept), the snapshot taken before each schema upgrade
 * (`burrow.sqlite.before-vN.bak`), and the file a restore replaced
 * (`burrow.sqlite.before-restore-<time>`). Every copy is written under a temporary name and
 * renamed, so a crash never leaves half a copy under a real name.
 */
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { makePrivateDir } from './private-files';
import { basename, join } from 'node:path';
import type { BackupInfo, BackupKind } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import type { Database } from './database';
import { backupInto, snapshotInto } from './snapshot';

export const DAILY_BACKUPS_KEPT = 7;
export const BACKUPS_DIR_NAME = 'backups';
/**
 * Up to this size the daily copy is a `VACUUM INTO` (compact; well under a second). A larger
 * database would block the process for seconds that way (6.4 s for 966 MB, measured), so it is
 * copied with SQLite's online backup instead, a few pages at a time between other work.
 */
export const VACUUM_BACKUP_MAX_BYTES = 128 * 1024 * 1024;

const DAILY = /^burrow-(\d{4})-(\d{2})-(\d{2})\.sqlite$/;
const BEFORE_UPGRADE = /^burrow\.sqlite\.before-v\d+\.bak$/;
const BEFORE_RESTORE = /^burrow\.sqlite\.before-restore-[0-9TZ-]+$/;

export function backupsDir(dataDir: string): string {
  return join(dataDir, BACKUPS_DIR_NAME);
}

/** Local calendar day, as the file name shows it. */
export function dailyBackupName(time: number): string {
  const date = new Date(time);
  const pad = (value: number): string => String(value).padStart(2, '0');
  return `burrow-${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}.sqlite`;
}

/** A time as part of a file name: 2024-05-01T10-20-30-123Z. */
export function fileStamp(time: number): string {
  return new Date(time).toISOString().replace(/[:.]/g, '-');
}

export class Backups {
  readonly #dataDir: string;
  readonly #now: () => number;
  readonly #vacuumMaxBytes: number;

  constructor(dataDir: string, now: () => number = Date.now, options: { vacuumMaxBytes?: number } = {}) {
    this.#dataDir = dataDir;
    this.#now = now;
    this.#vacuumMaxBytes = options.vacuumMaxBytes ?? VACUUM_BACKUP_MAX_BYTES;
  }

  /** Every copy that can be restored, newest first. */
  list(): BackupInfo[] {
    const found: Array<BackupInfo & { path: string }> = [];
    const add = (dir: string, name: string, kind: BackupKind): void => {
      try {
        const stats = statSync(join(dir, name));
        if (stats.isFile() && stats.size > 0) found.push({ name, kind, createdAt: Math.round(stats.mtimeMs), sizeBytes: stats.size, path: join(dir, name) });
      } catch {
        // vanished while listing
      }
    };
    for (const name of safeReaddir(backupsDir(this.#dataDir))) if (DAILY.test(name)) add(backupsDir(this.#dataDir), name, 'daily');
    for (const name of safeReaddir(this.#dataDir)) {
      if (BEFORE_UPGRADE.test(name)) add(this.#dataDir, name, 'before-upgrade');
      else if (BEFORE_RESTORE.test(name)) add(this.#dataDir, name, 'before-restore');
    }
    return found.sort((a, b) => b.createdAt - a.createdAt || b.name.localeCompare(a.name)).map(({ path: _path, ...info }) => info);
  }

  /** The file behind a name from `list()`. Anything else (a path, "..", a name not listed) is refused. */
  resolve(name: string): string {
    const info = this.list().find((backup) => backup.name === name);
    if (info === undefined) throw new BurrowError('not_found', 'That backup no longer exists. Choose one from the list.');
    return info.kind === 'daily' ? join(backupsDir(this.#dataDir), info.name) : join(this.#dataDir, info.name);
  }

  /**
   * Makes today's copy unless it exists, then keeps only the newest DAILY_BACKUPS_KEPT.
   * Resolves with the new copy's name, or null when today's already existed.
   */
  async makeDaily(db: Database): Promise<string | null> {
    const name = dailyBackupName(this.#now());
    const dir = backupsDir(this.#dataDir);
    const target = join(dir, name);
    if (existsSync(target)) return null;
    makePrivateDir(dir);
    try {
      if (sizeOf(db.name) <= this.#vacuumMaxBytes) snapshotInto(db, target);
      else await backupInto(db, target);
    } catch (error) {
      throw new BurrowError('storage_error', `Burrow could not write the backup ${basename(target)}: ${messageOf(error)}`, { cause: error });
    }
    this.#prune();
    return name;
  }

  #prune(): void {
    const dir = backupsDir(this.#dataDir);
    const daily = safeReaddir(dir)
      .filter((name) => DAILY.test(name))
      .sort()
      .reverse();
    for (const name of daily.slice(DAILY_BACKUPS_KEPT)) rmSync(join(dir, name), { force: true });
    // Leftovers of copies interrupted by a crash.
    for (const name of safeReaddir(dir)) if (name.endsWith('.partial')) rmSync(join(dir, name), { force: true });
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

function safeReaddir(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch {
    return [];
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
