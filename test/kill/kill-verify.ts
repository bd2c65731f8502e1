/**
 * What the kill test checks after every kill (see kill-test.ts): the file as the kill left it,
 * then the app's own start-up on it.
 */
import Sqlite from 'better-sqlite3';
import { databasePath } from '../../src/core/store/database';
import { migrations } from '../../src/core/store/migrations';
import { Storage } from '../../src/core/store/storage';
import { IMPORT_CONVERSATIONS } from './kill-child';

export interface Saved {
  conversation: string;
  length: number;
  status: string;
}

/** One JSON object per line the child printed. */
export type ChildLines = ReadonlyArray<Record<string, unknown>>;

export interface Verified {
  checked: number;
  deletesInterrupted: number;
  importsInterrupted: number;
  streamingMarkedInterrupted: number;
  /** The schema version the kill left (below the latest: killed before the upgrade finished). */
  version: number;
  /** Search indexes out of step with their tables as the kill left them (the app rebuilds them at start). */
  searchIndexMismatches: string[];
}

/** Checks every search index against its table; the failures, as "name: message". */
function searchIndexProblems(db: Sqlite.Database): string[] {
  const problems: string[] = [];
  for (const name of ['messages_fts', 'conversations_fts', 'document_chunks_fts']) {
    if (db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = ?").pluck().get(name) === 0) continue;
    try {
      db.prepare(`INSERT INTO ${name} (${name}, rank) VALUES ('integrity-check', 1)`).run();
    } catch (error) {
      problems.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return problems;
}

/**
 * `strictSearchIndexes`: a search index out of step with its table in the file as the kill left
 * it fails the round (the full run). Otherwise it is counted and reported, and the round fails
 * only if the app's start-up does not repair it (see kill-test.ts).
 */
export function verify(dataDir: string, lines: ChildLines, expected: { saved: Map<string, Saved> } | { legacyCount: number }, strictSearchIndexes = true): Verified {
  const file = databasePath(dataDir);
  const fail = (message: string): never => {
    throw new Error(`${dataDir}: ${message}`);
  };
  const result: Verified = { checked: 0, deletesInterrupted: 0, importsInterrupted: 0, streamingMarkedInterrupted: 0, version: 0, searchIndexMismatches: [] };

  // 1. The raw file, exactly as the kill left it (SQLite replays the write-ahead log on open).
  const db = new Sqlite(file, { fileMustExist: true });
  const streaming: string[] = [];
  try {
    const check = db.pragma('quick_check') as Array<{ quick_check: string }>;
    if (check.length !== 1 || check[0]?.quick_check !== 'ok') fail(`quick_check: ${JSON.stringify(check)}`);
    const keys = db.pragma('foreign_key_check') as unknown[];
    if (keys.length > 0) fail(`foreign_key_check: ${JSON.stringify(keys.slice(0, 5))}`);
    const version = Number(db.pragma('user_version', { simple: true }));
    result.version = version;
    if ('legacyCount' in expected) {
      // Each migration commits on its own: any version from 1 to the latest is a whole schema.
      if (version < 1 || version > migrations.length) fail(`unexpected user_version ${version}`);
      const legacy = Number(db.prepare("SELECT count(*) FROM messages WHERE id LIKE 'legacy-m%'").pluck().get());
      if (legacy !== expected.legacyCount) fail(`migration lost messages: ${legacy} of ${expected.legacyCount}`);
    }
    if (version >= 2) {
      result.searchIndexMismatches = searchIndexProblems(db);
      if (strictSearchIndexes && result.searchIndexMismatches.length > 0) fail(`search index out of step: ${result.searchIndexMismatches.join('; ')}`);
      const orphanQuestion = db
        .prepare("SELECT q.id FROM messages q WHERE q.role = 'user' AND q.id NOT LIKE 'legacy-%' AND NOT EXISTS (SELECT 1 FROM messages a WHERE a.parent_id = q.id) LIMIT 1")
        .pluck()
        .get();
      if (orphanQuestion !== undefined) fail(`half-written turn: question ${String(orphanQuestion)} has no answer`);
    }

    if ('saved' in expected) {
      const deleting = new Map<string, number>();
      const deletedTitles: string[] = [];
      const deleted = new Set<string>();
      const importing = new Set<string>();
      const imported = new Set<string>();
      for (const line of lines) {
        if (typeof line.saved === 'string') {
          const previous = expected.saved.get(line.saved);
          const length = Number(line.length);
          expected.saved.set(line.saved, { conversation: String(line.conversation), length: Math.max(length, previous?.length ?? 0), status: String(line.status) });
        }
        if (typeof line.deleting === 'string') {
          deleting.set(line.deleting, Number(line.messages));
          deletedTitles.push(String(line.title));
        }
        if (typeof line.deleted === 'string') deleted.add(line.deleted);
        if (typeof line.importing === 'string') importing.add(line.importing);
        if (typeof line.imported === 'string') imported.add(line.imported);
      }
      const messageCount = db.prepare('SELECT count(*) FROM messages WHERE conversation_id = ?').pluck();
      const conversationExists = db.prepare('SELECT count(*) FROM conversations WHERE id = ?').pluck();
      for (const [id, count] of deleting) {
        const exists = Number(conversationExists.get(id)) === 1;
        const left = Number(messageCount.get(id));
        if (deleted.has(id) && (exists || left > 0)) fail(`conversation ${id} was reported deleted but is still there`);
        if (!deleted.has(id)) {
          result.deletesInterrupted++;
          if (exists ? left !== count : left !== 0) fail(`half-deleted conversation ${id}: ${exists ? 'exists' : 'gone'} with ${left} of ${count} messages`);
        }
        if (!exists) for (const [messageId, entry] of expected.saved) if (entry.conversation === id) expected.saved.delete(messageId);
      }
      const batchCount = db.prepare("SELECT count(*) FROM conversations WHERE title LIKE 'import-' || ? || '-%'").pluck();
      const titleExists = db.prepare('SELECT count(*) FROM conversations WHERE title = ?').pluck();
      for (const batch of importing) {
        // Imported conversations the other lane has deleted since count as there.
        const deletedSince = deletedTitles.filter((title) => title.startsWith(`import-${batch}-`) && Number(titleExists.get(title)) === 0).length;
        const count = Number(batchCount.get(batch)) + deletedSince;
        if (imported.has(batch) ? count !== IMPORT_CONVERSATIONS : count !== 0 && count !== IMPORT_CONVERSATIONS) fail(`import ${batch} half-applied: ${count} of ${IMPORT_CONVERSATIONS}`);
        if (!imported.has(batch)) result.importsInterrupted++;
      }
      const message = db.prepare<[string], { content: string; status: string }>('SELECT content, status FROM messages WHERE id = ?');
      for (const [id, entry] of expected.saved) {
        const row = message.get(id);
        if (row === undefined) fail(`message ${id} was seen saved (${entry.length} characters) but is missing`);
        else {
          if (row.content.length < entry.length) fail(`message ${id} lost text: ${row.content.length} < ${entry.length} characters seen saved`);
          if (entry.status !== 'streaming' && row.status !== entry.status) fail(`message ${id} was ${entry.status}, now ${row.status}`);
          if (row.status === 'streaming') streaming.push(id);
          result.checked++;
        }
      }
    }
  } finally {
    db.close();
  }

  // 2. What the app does at start: open (quarantining only a damaged file; this one must not be),
  // finish any migration, and mark answers cut off mid-stream as interrupted.
  const storage = Storage.open(dataDir);
  try {
    if (storage.status().quarantined !== null) fail(`opening quarantined it: ${JSON.stringify(storage.status().quarantined)}`);
    const afterStart = searchIndexProblems(storage.db);
    if (afterStart.length > 0) fail(`search index still out of step after start-up: ${afterStart.join('; ')}`);
    const repaired = new Set(storage.repairedIndexes);
    for (const problem of result.searchIndexMismatches) {
      if (!repaired.has(problem.split(':')[0]!)) fail(`start-up did not report rebuilding ${problem}`);
    }
    storage.conversations.markInterrupted();
    for (const id of streaming) {
      if (storage.conversations.getMessage(id).status !== 'interrupted') fail(`message ${id} was streaming and is not marked interrupted`);
      result.streamingMarkedInterrupted++;
    }
    const left = Number(storage.db.prepare("SELECT count(*) FROM messages WHERE status = 'streaming'").pluck().get());
    if (left > 0) fail(`${left} messages still streaming after start-up`);
  } finally {
    storage.close();
  }
  return result;
}
