/**
 * Copies of the open database and the fsyncs that make files durable, for every copy Burrow
 * writes (the snapshot before an upgrade, daily backups, the file a restore brings in). A copy is
 * written under a temporary name, made private, fsynced, then renamed, so a crash never leaves
 * half a copy under the real name.
 */
import { closeSync, fsyncSync, openSync, renameSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Database } from './database';
import { makePrivateFile } from './private-files';

/** A consistent, compacted copy of the open database at `target` (VACUUM INTO). Throws what failed, the partial copy removed. */
export function snapshotInto(db: Database, target: string): void {
  const partial = startCopy(target);
  try {
    db.prepare('VACUUM INTO ?').run(partial);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
  finishCopy(partial, target);
}

/** The same through SQLite's online backup API, a few pages at a time between other work. */
export async function backupInto(db: Database, target: string): Promise<void> {
  const partial = startCopy(target);
  try {
    await db.backup(partial);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
  finishCopy(partial, target);
}

function startCopy(target: string): string {
  const partial = `${target}.partial`;
  rmSync(partial, { force: true });
  return partial;
}

function finishCopy(partial: string, target: string): void {
  try {
    makePrivateFile(partial);
    fsyncFile(partial);
    renameSync(partial, target);
    fsyncDirectory(dirname(target));
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
}

export function fsyncFile(path: string): void {
  const fd = openSync(path, 'r+');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function fsyncDirectory(path: string): void {
  try {
    const fd = openSync(path, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    // Windows cannot open a directory for fsync; NTFS journals the rename itself.
  }
}
