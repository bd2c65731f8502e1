import type { Database } from 'better-sqlite3';
import { SEARCH_TOKENIZER } from './002-history';
import type { Migration } from './index';

/**
 * The message search index covers settled messages only: an answer is indexed once, when it
 * stops streaming, instead of being re-indexed at every save while it is written.
 *
 * Why: FTS5's `secure-delete` (which makes a deleted message's words leave the index at once,
 * so a delete is real) corrupts the index when one row is deleted and re-inserted many times
 * with a long position list — exactly what saving a streaming answer every second did (a
 * 545-word answer of one repeated word, saved ~100 times, then deleted: "fts5: checksum mismatch
 * for table messages_fts"). The kill test found it; a plain script reproduces it without any
 * kill (SQLite 3.53.2). Indexing each message once avoids the pattern and keeps secure-delete.
 *
 * How: the index's external content is a view of the messages that are not streaming, so its
 * own checks (`integrity-check`) and `rebuild` agree with the triggers about what belongs in it.
 * The rebuild at the end also clears any damage the old triggers left.
 */
export const searchSettled: Migration = {
  version: 4,
  up(db: Database): void {
    db.exec(`
      DROP TRIGGER messages_fts_after_insert;
      DROP TRIGGER messages_fts_after_delete;
      DROP TRIGGER messages_fts_after_update;
      DROP TABLE messages_fts;

      CREATE VIEW messages_settled (message_rowid, content) AS
        SELECT rowid, content FROM messages WHERE status <> 'streaming';

      CREATE VIRTUAL TABLE messages_fts USING fts5 (
        content, content = 'messages_settled', content_rowid = 'message_rowid',
        tokenize = '${SEARCH_TOKENIZER}', prefix = '2 3'
      );
      INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1);

      CREATE TRIGGER messages_fts_after_insert AFTER INSERT ON messages
      WHEN new.status <> 'streaming' BEGIN
        INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
      END;
      CREATE TRIGGER messages_fts_after_delete AFTER DELETE ON messages
      WHEN old.status <> 'streaming' BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
      END;
      -- Out of the index when it was in it, back in when it belongs there: streaming saves do nothing.
      CREATE TRIGGER messages_fts_after_update AFTER UPDATE OF content, status ON messages
      WHEN (old.status <> 'streaming' OR new.status <> 'streaming')
        AND (old.content IS NOT new.content OR (old.status = 'streaming') <> (new.status = 'streaming')) BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, content) SELECT 'delete', old.rowid, old.content WHERE old.status <> 'streaming';
        INSERT INTO messages_fts (rowid, content) SELECT new.rowid, new.content WHERE new.status <> 'streaming';
      END;

      INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
    `);
  },
};
