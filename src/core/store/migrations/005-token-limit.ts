import type { Database } from 'better-sqlite3';
import type { Migration } from './index';

/**
 * An answer that stopped because it reached its token limit remembers that limit, so the chat
 * says so ("Stopped at the 1,024-token limit") and offers Continue after a reload too. NULL:
 * the answer ended on its own, was stopped, or failed.
 */
export const tokenLimit: Migration = {
  version: 5,
  up(db: Database): void {
    db.exec('ALTER TABLE messages ADD COLUMN token_limit INTEGER CHECK (token_limit IS NULL OR token_limit > 0)');
  },
};
