import type { Database } from 'better-sqlite3';
import type { Migration } from './index';

/** Tokenizer of both search indexes: words split on Unicode rules, case and accents folded ("Café" finds "cafe"). */
export const SEARCH_TOKENIZER = 'unicode61 remove_diacritics 2';

/**
 * Branches, pins, per-conversation settings and full-text search.
 *
 * - `messages.parent_id` turns a conversation into a tree: editing a message or regenerating
 *   an answer adds a sibling instead of overwriting. Existing conversations become one chain
 *   (each message's parent is the one before it), and `conversations.active_leaf_id` (the
 *   branch on screen) points at their last message. `active_leaf_id` has no foreign key on
 *   purpose: the store repairs a dangling one on read, and a key would need its own index to
 *   keep deletes fast.
 * - Two external-content FTS5 indexes (message text, conversation titles) read their text from
 *   the tables themselves and are kept in step by triggers, so no write path can forget them.
 *   `secure-delete` makes FTS5 remove a deleted row's words from the index pages at once
 *   (instead of leaving them until a merge), so deleted text is really gone from the file.
 *   `prefix = '2 3'` adds indexes of 2- and 3-character prefixes, which keeps search-as-you-type
 *   ("ra", "rab") fast on large histories.
 * - Hazard: the indexes use `messages`' and `conversations`' implicit rowids, which VACUUM may
 *   renumber. Burrow never VACUUMs in place; a database restored from a `VACUUM INTO` copy gets
 *   its indexes rebuilt (`rebuildSearchIndexes`, search-repair.ts).
 */
export const history: Migration = {
  version: 2,
  up(db: Database): void {
    db.exec(`
      ALTER TABLE conversations ADD COLUMN pinned INTEGER NOT NULL DEFAULT 0 CHECK (pinned IN (0, 1));
      ALTER TABLE conversations ADD COLUMN active_leaf_id TEXT;
      ALTER TABLE conversations ADD COLUMN system_prompt TEXT;
      ALTER TABLE conversations ADD COLUMN temperature REAL;
      ALTER TABLE conversations ADD COLUMN top_p REAL;
      ALTER TABLE conversations ADD COLUMN max_tokens INTEGER;

      ALTER TABLE messages ADD COLUMN parent_id TEXT REFERENCES messages (id);

      UPDATE messages SET parent_id = (
        SELECT p.id FROM messages p
        WHERE p.conversation_id = messages.conversation_id AND p.seq < messages.seq
        ORDER BY p.seq DESC LIMIT 1
      );
      UPDATE conversations SET active_leaf_id = (
        SELECT m.id FROM messages m WHERE m.conversation_id = conversations.id ORDER BY m.seq DESC LIMIT 1
      );

      -- Children of a message (siblings, branch switching) and the foreign-key check on delete.
      CREATE INDEX messages_by_parent ON messages (parent_id);
      CREATE INDEX conversations_by_pinned_updated ON conversations (pinned, updated_at);

      ${searchIndexSql('messages_fts', 'messages', 'content')}

      ${searchIndexSql('conversations_fts', 'conversations', 'title')}
    `);
  },
};

/**
 * An external-content FTS5 index over one text column of `table`, kept in step by triggers:
 * the same shape for message text and conversation titles.
 */
function searchIndexSql(index: string, table: string, column: string): string {
  return `CREATE VIRTUAL TABLE ${index} USING fts5 (
        ${column}, content = '${table}', content_rowid = 'rowid',
        tokenize = '${SEARCH_TOKENIZER}', prefix = '2 3'
      );
      INSERT INTO ${index} (${index}, rank) VALUES ('secure-delete', 1);
      INSERT INTO ${index} (${index}) VALUES ('rebuild');

      CREATE TRIGGER ${index}_after_insert AFTER INSERT ON ${table} BEGIN
        INSERT INTO ${index} (rowid, ${column}) VALUES (new.rowid, new.${column});
      END;
      CREATE TRIGGER ${index}_after_delete AFTER DELETE ON ${table} BEGIN
        INSERT INTO ${index} (${index}, rowid, ${column}) VALUES ('delete', old.rowid, old.${column});
      END;
      CREATE TRIGGER ${index}_after_update AFTER UPDATE OF ${column} ON ${table}
      WHEN old.${column} IS NOT new.${column} BEGIN
        INSERT INTO ${index} (${index}, rowid, ${column}) VALUES ('delete', old.rowid, old.${column});
        INSERT INTO ${index} (rowid, ${column}) VALUES (new.rowid, new.${column});
      END;`;
}
