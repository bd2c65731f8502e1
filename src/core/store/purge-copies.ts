/**
 * Deleting a conversation reaches every copy of it in the data folder (SECURITY.md item 30):
 * the daily backups, the copies kept before an upgrade or a restore, and quarantined files.
 * A careful person who deletes a conversation expects it gone, not kept for a week in a
 * backup. Each copy that opens as a database has the conversation (its messages, documents,
 * search entries and its own settings) deleted and is then rebuilt (VACUUM) so no freed page
 * keeps its text; every other conversation in it stays restorable. A copy that cannot be
 * opened (a damaged, quarantined file) cannot be edited: if it holds the conversation at all,
 * it is removed, since it could never be restored anyway.
 */
import { closeSync, existsSync, openSync, readdirSync, readSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { backupsDir } from './backups';
import { conversationSettingKeys } from './conversation-sql';
import { DATABASE_FILE_NAME, openCopy, type Database } from './database';

export interface PurgeReport {
  /** Copies the conversation was deleted from. */
  purged: string[];
  /** Copies that could not be edited and held it, so were removed. */
  removed: string[];
}

const COMPANIONS = ['-wal', '-shm', '-journal'];

/** Every copy of the database Burrow keeps in `dataDir` (not the live file, nor companions). */
export function databaseCopies(dataDir: string): string[] {
  const copies: string[] = [];
  const list = (dir: string): string[] => {
    try {
      return readdirSync(dir);
    } catch {
      return [];
    }
  };
  for (const name of list(dataDir)) {
    if (name.startsWith(`${DATABASE_FILE_NAME}.`) && !COMPANIONS.some((suffix) => name.endsWith(suffix)) && !name.endsWith('.partial')) copies.push(join(dataDir, name));
  }
  for (const name of list(backupsDir(dataDir))) {
    if (name.endsWith('.sqlite')) copies.push(join(backupsDir(dataDir), name));
  }
  return copies;
}

export function purgeConversationFromCopies(dataDir: string, conversationId: string, options: { nativeBinding?: string } = {}): PurgeReport {
  const report: PurgeReport = { purged: [], removed: [] };
  for (const copy of databaseCopies(dataDir)) {
    try {
      if (purgeCopy(copy, conversationId, options)) report.purged.push(copy);
    } catch {
      if ([copy, ...COMPANIONS.map((suffix) => `${copy}${suffix}`)].some((file) => fileHolds(file, conversationId))) {
        for (const file of [copy, ...COMPANIONS.map((suffix) => `${copy}${suffix}`)]) rmSync(file, { force: true });
        report.removed.push(copy);
      }
    }
  }
  return report;
}

/** True if the copy held the conversation (and no longer does). Throws when it cannot be edited. */
function purgeCopy(copy: string, conversationId: string, options: { nativeBinding?: string }): boolean {
  const db = openCopy(copy, options);
  try {
    db.pragma('foreign_keys = ON');
    db.pragma('secure_delete = ON');
    const held = db.prepare('SELECT 1 FROM conversations WHERE id = ?').get(conversationId) !== undefined;
    if (!held) return false;
    const setting = tableExists(db, 'settings') ? db.prepare('DELETE FROM settings WHERE key = ?') : null;
    const ftsTables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND sql LIKE '%USING fts5%'")
      .pluck()
      .all() as string[];
    db.transaction(() => {
      db.prepare('DELETE FROM messages WHERE conversation_id = ?').run(conversationId);
      db.prepare('DELETE FROM conversations WHERE id = ?').run(conversationId);
      for (const key of conversationSettingKeys(conversationId)) setting?.run(key);
    })();
    // Older copies' search indexes may not drop a deleted row's words at once: rebuilt from what is left.
    for (const table of ftsTables) {
      try {
        db.prepare(`INSERT INTO "${table.replaceAll('"', '""')}" ("${table.replaceAll('"', '""')}") VALUES ('rebuild')`).run();
      } catch {
        // A contentless index cannot be rebuilt; VACUUM below still drops the freed pages.
      }
    }
    db.exec('VACUUM');
    if (db.pragma('journal_mode', { simple: true }) === 'wal') db.pragma('wal_checkpoint(TRUNCATE)');
    return true;
  } finally {
    db.close();
  }
}

function tableExists(db: Database, name: string): boolean {
  return db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?").get(name) !== undefined;
}

/** Whether the file's bytes contain `text` (read in pieces: copies can be large). */
function fileHolds(file: string, text: string): boolean {
  if (!existsSync(file)) return false;
  const needle = Buffer.from(text, 'utf8');
  const chunk = Buffer.alloc(1024 * 1024 + needle.length);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return false;
  }
  try {
    let position = 0;
    let carried = 0;
    for (;;) {
      const read = readSync(fd, chunk, carried, chunk.length - carried, position);
      if (read === 0) return false;
      const filled = carried + read;
      if (chunk.subarray(0, filled).includes(needle)) return true;
      position += read;
      carried = Math.min(needle.length - 1, filled);
      chunk.copy(chunk, 0, filled - carried, filled);
    }
  } finally {
    closeSync(fd);
  }
}
