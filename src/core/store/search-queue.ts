/**
 * Messages saved but not yet in the search index (migration 6): their ids wait in
 * `messages_to_index`, and this moves them into `messages_fts`. The store's quiet-time
 * maintenance does it in bounded steps; a search does it first for whatever is left, so it
 * always sees every settled message.
 */
import type { Database } from './database';
import { SqlStore, type DatabaseHandle } from './handle';

/** Messages one step indexes, at most. */
export const INDEX_STEP_MESSAGES = 200;

function prepare(db: Database) {
  // Absent in a database opened with fewer migrations (tests of earlier schemas): nothing queues.
  const present = db.prepare("SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'messages_to_index'").pluck().get();
  if (present === 0) return null;
  return {
    next: db.prepare<[number], string>('SELECT message_id FROM messages_to_index LIMIT ?').pluck(),
    // A message is only ever queued while settled (the triggers); the status test is a guard.
    index: db.prepare<[string]>("INSERT INTO messages_fts (rowid, content) SELECT rowid, content FROM messages WHERE id = ? AND status <> 'streaming'"),
    dequeue: db.prepare<[string]>('DELETE FROM messages_to_index WHERE message_id = ?'),
  };
}

export class SearchQueue extends SqlStore<ReturnType<typeof prepare>> {
  constructor(db: Database | DatabaseHandle) {
    super(db, prepare);
  }

  /**
   * Indexes up to `limit` queued messages in one transaction (or inside the caller's); returns
   * how many it took off the queue.
   */
  indexQueued(limit = INDEX_STEP_MESSAGES): number {
    const sql = this.sql;
    if (sql === null) return 0;
    return this.db.transaction(() => {
      const ids = sql.next.all(limit);
      for (const id of ids) {
        sql.index.run(id);
        sql.dequeue.run(id);
      }
      return ids.length;
    })();
  }

  /** Indexes the whole queue, a step at a time; returns how many messages it indexed. */
  indexAll(): number {
    let total = 0;
    for (let taken = this.indexQueued(); taken > 0; taken = this.indexQueued()) total += taken;
    return total;
  }
}
