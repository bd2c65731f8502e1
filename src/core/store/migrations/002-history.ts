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
 *   its indexes rebuilt (`rebuildSearchIndexes`).
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

      CREATE VIRTUAL TABLE messages_fts USING fts5 (
        content, content = 'messages', content_rowid = 'rowid',
        tokenize = '${SEARCH_TOKENIZER}', prefix = '2 3'
      );
      INSERT INTO messages_fts (messages_fts, rank) VALUES ('secure-delete', 1);
      INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');

      CREATE TRIGGER messages_fts_after_insert AFTER INSERT ON messages BEGIN
        INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
      END;
      CREATE TRIGGER messages_fts_after_delete AFTER DELETE ON messages BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
      END;
      CREATE TRIGGER messages_fts_after_update AFTER UPDATE OF content ON messages
      WHEN old.content IS NOT new.content BEGIN
        INSERT INTO messages_fts (messages_fts, rowid, content) VALUES ('delete', old.rowid, old.content);
        INSERT INTO messages_fts (rowid, content) VALUES (new.rowid, new.content);
      END;

      CREATE VIRTUAL TABLE conversations_fts USING fts5 (
        title, content = 'conversations', content_rowid = 'rowid',
        tokenize = '${SEARCH_TOKENIZER}', prefix = '2 3'
      );
      INSERT INTO conversations_fts (conversations_fts, rank) VALUES ('secure-delete', 1);
      INSERT INTO conversations_fts (conversations_fts) VALUES ('rebuild');

      CREATE TRIGGER conversations_fts_after_insert AFTER INSERT ON conversations BEGIN
        INSERT INTO conversations_fts (rowid, title) VALUES (new.rowid, new.title);
      END;
      CREATE TRIGGER conversations_fts_after_delete AFTER DELETE ON conversations BEGIN
        INSERT INTO conversations_fts (conversations_fts, rowid, title) VALUES ('delete', old.rowid, old.title);
      END;
      CREATE TRIGGER conversations_fts_after_update AFTER UPDATE OF title ON conversations
      WHEN old.title IS NOT new.title BEGIN
        INSERT INTO conversations_fts (conversations_fts, rowid, title) VALUES ('delete', old.rowid, old.title);
        INSERT INTO conversations_fts (rowid, title) VALUES (new.rowid, new.title);
      END;
    `);
  },
};

/** The full-text indexes Burrow keeps, each over its table (`document_chunks_fts` from migration 3). */
const SEARCH_INDEXES = ['messages_fts', 'conversations_fts', 'document_chunks_fts'] as const;

/**
 * Checks every search index against its table and rebuilds the ones that disagree; returns
 * their names. Run after an unclean shutdown, as a second line of defence: the kill test found
 * `messages_fts` out of step with `messages` (an FTS5 secure-delete fault, avoided since
 * migration 4), and a wrong index means searches that miss or invent matches.
 */
export function repairSearchIndexes(db: Database): string[] {
  const present = new Set(db.prepare<[], string>("SELECT name FROM sqlite_schema WHERE type = 'table' AND name LIKE '%_fts'").pluck().all());
  const repaired: string[] = [];
  for (const name of SEARCH_INDEXES) {
    if (!present.has(name)) continue;
    try {
      db.prepare(`INSERT INTO ${name} (${name}, rank) VALUES ('integrity-check', 1)`).run();
    } catch (error) {
      console.warn(`[burrow] search index ${name} disagreed with its table (${error instanceof Error ? error.message : String(error)}); rebuilding it`);
      db.transaction(() => db.prepare(`INSERT INTO ${name} (${name}) VALUES ('rebuild')`).run())();
      repaired.push(name);
    }
  }
  return repaired;
}

/** Rebuilds both search indexes from the tables (after a restore: see the rowid hazard above). */
export function rebuildSearchIndexes(db: Database): void {
  db.transaction(() => {
    db.exec(`
      INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
      INSERT INTO conversations_fts (conversations_fts) VALUES ('rebuild');
    `);
  })();
}
