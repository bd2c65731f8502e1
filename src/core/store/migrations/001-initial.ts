import type { Database } from 'better-sqlite3';
import type { Migration } from './index';

/**
 * STRICT so a wrong-typed value is an error instead of being silently stored.
 * `messages` keeps its implicit rowid so a later FTS5 table can index it as external
 * content (`content_rowid = rowid`) without a table rebuild.
 * `seq` gives a stable order within a conversation even when two messages share a millisecond;
 * the unique index on (conversation_id, seq) doubles as the per-conversation lookup index.
 */
export const initial: Migration = {
  version: 1,
  up(db: Database): void {
    db.exec(`
      CREATE TABLE conversations (
        id TEXT PRIMARY KEY NOT NULL,
        title TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;

      CREATE INDEX conversations_by_updated_at ON conversations (updated_at);

      CREATE TABLE messages (
        id TEXT PRIMARY KEY NOT NULL,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        role TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
        content TEXT NOT NULL,
        status TEXT NOT NULL
          CHECK (status IN ('complete', 'streaming', 'cancelled', 'error', 'interrupted')),
        error TEXT,
        created_at INTEGER NOT NULL
      ) STRICT;

      CREATE UNIQUE INDEX messages_by_conversation ON messages (conversation_id, seq);

      CREATE TABLE settings (
        key TEXT PRIMARY KEY NOT NULL,
        value TEXT NOT NULL
      ) STRICT;
    `);
  },
};
