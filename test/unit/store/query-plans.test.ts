/**
 * Opening a conversation must cost the length of its branch, not the size of the history: the
 * recursive walks look messages up by primary key. With a plain JOIN, once ANALYZE statistics
 * existed (PRAGMA optimize writes them), SQLite scanned the whole messages table instead —
 * 118 ms for a 40-message conversation in a 100 000-message history.
 */
import { describe, expect, it } from 'vitest';
import { MAX_DEPTH, prepareConversationSql } from '../../../src/core/store/conversation-sql';
import type { Database } from '../../../src/core/store/database';
import { useTempDataDir } from './helpers';

const temp = useTempDataDir();

/** 100 conversations of 40 chained messages, then the statistics the app's optimize would gather. */
function history(db: Database): void {
  const conversation = db.prepare('INSERT INTO conversations (id, title, created_at, updated_at) VALUES (?, ?, 0, 0)');
  const message = db.prepare(
    "INSERT INTO messages (id, conversation_id, parent_id, seq, role, content, status, created_at) VALUES (?, ?, ?, ?, ?, 'text', 'complete', 0)",
  );
  db.transaction(() => {
    for (let c = 0; c < 100; c++) {
      conversation.run(`c${c}`, `chat ${c}`);
      for (let seq = 0; seq < 40; seq++) {
        message.run(`m${c}-${seq}`, `c${c}`, seq === 0 ? null : `m${c}-${seq - 1}`, seq + 1, seq % 2 === 0 ? 'user' : 'assistant');
      }
    }
  })();
  db.exec('ANALYZE');
}

function plan(db: Database, sql: string, params: Record<string, unknown>): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(params) as { detail: string }[]).map((row) => row.detail);
}

describe('conversation query plans', () => {
  it('walk a branch up and down by primary-key lookups, never scanning every message', () => {
    const db = temp.open();
    history(db);
    const sql = prepareConversationSql(db);
    const walks = [
      plan(db, sql.path.source, { leaf: 'm50-39', maxDepth: MAX_DEPTH }),
      plan(db, sql.newestLeafUnder.source, { id: 'm50-10', maxDepth: MAX_DEPTH }),
    ];
    for (const steps of walks) {
      expect(steps.filter((step) => /^SCAN m\b/.test(step)), steps.join(' | ')).toEqual([]);
      expect(steps.some((step) => step.includes('USING INDEX sqlite_autoindex_messages_1 (id=?)'))).toBe(true);
    }
    // And they still answer: the whole branch, root first; the newest message under a point.
    expect(sql.path.all({ leaf: 'm50-39', maxDepth: MAX_DEPTH }).map((row) => row.id)).toEqual(Array.from({ length: 40 }, (_, seq) => `m50-${seq}`));
    expect(sql.newestLeafUnder.get({ id: 'm50-10', maxDepth: MAX_DEPTH })).toBe('m50-39');
  });
});
