/**
 * Search indexes checked and rebuilt outside the migrations: after an unclean shutdown
 * (Storage.open) and in a restored copy (Storage.restore), whose rowids VACUUM INTO may have
 * renumbered (the hazard described in migrations/002-history.ts).
 */
import type { Database } from './database';

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

/** Rebuilds both search indexes from the tables (after a restore: see the rowid hazard in migrations/002-history.ts). */
export function rebuildSearchIndexes(db: Database): void {
  db.transaction(() => {
    db.exec(`
      INSERT INTO messages_fts (messages_fts) VALUES ('rebuild');
      INSERT INTO conversations_fts (conversations_fts) VALUES ('rebuild');
    `);
  })();
}
