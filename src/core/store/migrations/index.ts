import type { Database } from 'better-sqlite3';
import { initial } from './001-initial';
import { history } from './002-history';
import { documents } from './003-documents';
import { searchSettled } from './004-search-settled';
import { tokenLimit } from './005-token-limit';
import { searchQueue } from './006-search-queue';

/**
 * One schema step. `up` runs inside a transaction that also sets `PRAGMA user_version` to
 * `version`, so a crash leaves the database either wholly before or wholly after the step.
 */
export interface Migration {
  readonly version: number;
  up(db: Database): void;
}

/** Every migration, in order; versions run 1, 2, 3… without gaps. Append, never edit a shipped one. */
export const migrations: readonly Migration[] = [initial, history, documents, searchSettled, tokenLimit, searchQueue];
