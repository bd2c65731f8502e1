import { describe, expect, it } from 'vitest';
import { initial } from '../../../src/core/store/migrations/001-initial';
import { useTempDataDir } from './helpers';

const temp = useTempDataDir();
/** The schema exactly as migration 1 leaves it. */
const openV1 = () => temp.open(temp.file, { migrations: [initial] });

describe('migration 1 (initial schema)', () => {
  it('creates STRICT tables for conversations, messages and settings', () => {
    const db = openV1();
    const tables = db
      .prepare<[], { name: string; strict: number }>("SELECT name, strict FROM pragma_table_list WHERE schema = 'main' AND name NOT LIKE 'sqlite_%' ORDER BY name")
      .all();
    expect(tables).toEqual([
      { name: 'conversations', strict: 1 },
      { name: 'messages', strict: 1 },
      { name: 'settings', strict: 1 },
    ]);
  });

  it('rejects a value of the wrong type instead of storing it', () => {
    const db = openV1();
    expect(() =>
      db.prepare('INSERT INTO conversations (id, title, created_at, updated_at) VALUES (?, ?, ?, ?)').run('c1', 'Chat', 'yesterday', 0),
    ).toThrow(/cannot store TEXT value in INTEGER column/);
  });

  it('accepts only the known roles and statuses, and only messages of an existing conversation', () => {
    const db = openV1();
    db.prepare("INSERT INTO conversations VALUES ('c1', 'Chat', 0, 0)").run();
    const insert = db.prepare(
      'INSERT INTO messages (id, conversation_id, seq, role, content, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 0)',
    );
    expect(() => insert.run('m1', 'c1', 1, 'system', 'hi', 'complete')).toThrow(/CHECK constraint failed/);
    expect(() => insert.run('m1', 'c1', 1, 'user', 'hi', 'pending')).toThrow(/CHECK constraint failed/);
    expect(() => insert.run('m1', 'nowhere', 1, 'user', 'hi', 'complete')).toThrow(/FOREIGN KEY constraint failed/);
    insert.run('m1', 'c1', 1, 'user', 'hi', 'complete');
    expect(() => insert.run('m2', 'c1', 1, 'assistant', 'hello', 'complete')).toThrow(/UNIQUE constraint failed/);
  });
});
