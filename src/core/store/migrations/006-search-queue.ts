import type { Database } from 'better-sqlite3';
import type { Migration } from './index';

/**
 * Saving a message no longer writes the search index in the same commit: the message's id goes
 * into a queue, and the store's quiet-time maintenance (or the next search, whichever comes
 * first) moves queued messages into `messages_fts` (search-queue.ts).
 *
 * Why: a question's save writes about 16 pages to the WAL, six of them FTS5's (a new segment,
 * its structure record, the doc-size row, the term index), and then flushes them to disk. On a
 * 1 M-message history that commit's 95th percentile was over the 1 ms target; with the index
 * written later it is under it (docs/performance.md, "Store"). Search does not notice: it
 * indexes the queue before it reads.
 *
 * How the index stays exactly what its checks expect: the index's external content, the view
 * `messages_settled`, now leaves out queued messages. So at every commit the index holds
 * precisely the view's rows: FTS5's `integrity-check` (the kill test, the repair after an
 * unclean shutdown) passes with a queue, and `rebuild` indexes the view and leaves the queue to
 * be indexed as usual.
 *   - inserting a settled message queues it;
 *   - changing a message takes its old text out of the index if it was in it (settled and not
 *     queued), then queues it if it is settled now, or drops it from the queue if it streams;
 *   - deleting a message takes its text out of the index if it was in it, and drops it from the
 *     queue.
 * The queue holds message ids, not rowids: a restored copy (VACUUM INTO) may renumber rowids.
 *
 * Also dropped: `conversations_by_updated_at`, which no query uses since migration 2 (the list
 * sorts on `conversations_by_pinned_updated`), and which every save changed twice.
 */
export const searchQueue: Migration = {
  version: 6,
  up(db: Database): void {
    db.exec(`
      DROP INDEX conversations_by_updated_at;

      CREATE TABLE messages_to_index (message_id TEXT PRIMARY KEY NOT NULL) STRICT, WITHOUT ROWID;

      DROP TRIGGER messages_fts_after_insert;
      DROP TRIGGER messages_fts_after_delete;
      DROP TRIGGER messages_fts_after_update;
      DROP VIEW messages_settled;

      CREATE VIEW messages_settled (message_rowid, content) AS
        SELECT rowid, content FROM messages
        WHERE status <> 'streaming' AND id NOT IN (SELECT message_id FROM messages_to_index);

      CREATE TRIGGER messages_fts_after_insert AFTER INSERT ON messages
      WHEN new.status <> 'streaming' BEGIN
        INSERT INTO messages_to_index (message_id) VALUES (new.id);
      END;
      CREATE TRIGGER messages_fts_after_delete AFTER DELETE ON messages
      WHEN old.status <> 'streaming' BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, content) SELECT 'delete', old.rowid, old.content
          WHERE NOT EXISTS (SELECT 1 FROM messages_to_index WHERE message_id = old.id);
        DELETE FROM messages_to_index WHERE message_id = old.id;
      END;
      CREATE TRIGGER messages_fts_after_update AFTER UPDATE OF content, status ON messages
      WHEN (old.status <> 'streaming' OR new.status <> 'streaming')
        AND (old.content IS NOT new.content OR (old.status = 'streaming') <> (new.status = 'streaming')) BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, content) SELECT 'delete', old.rowid, old.content
          WHERE old.status <> 'streaming' AND NOT EXISTS (SELECT 1 FROM messages_to_index WHERE message_id = old.id);
        DELETE FROM messages_to_index WHERE message_id = old.id AND new.status = 'streaming';
        INSERT OR IGNORE INTO messages_to_index (message_id) SELECT new.id WHERE new.status <> 'streaming';
      END;
    `);
  },
};
