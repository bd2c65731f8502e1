/**
 * Migration 6: a saved message waits in a queue for the search index instead of being indexed
 * in its own commit; quiet-time maintenance and search index the queue. Real SQLite files, the
 * real stores; after every step the index must agree with its content view (FTS5's own check).
 */
import Sqlite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { ConversationStore } from '../../../src/core/store/conversations';
import { closeDatabase, type Database } from '../../../src/core/store/database';
import { StoreMaintenance } from '../../../src/core/store/maintenance';
import { migrations } from '../../../src/core/store/migrations';
import { initial } from '../../../src/core/store/migrations/001-initial';
import { history } from '../../../src/core/store/migrations/002-history';
import { documents } from '../../../src/core/store/migrations/003-documents';
import { searchSettled } from '../../../src/core/store/migrations/004-search-settled';
import { tokenLimit } from '../../../src/core/store/migrations/005-token-limit';
import { SearchIndex } from '../../../src/core/store/search';
import { INDEX_STEP_MESSAGES, SearchQueue } from '../../../src/core/store/search-queue';
import { useTempDataDir } from './helpers';

const temp = useTempDataDir();

const integrity = (db: Database): void => {
  db.prepare("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)").run();
};
const queued = (db: Database): string[] => db.prepare<[], string>('SELECT message_id FROM messages_to_index ORDER BY message_id').pluck().all();
/** Rows in the index itself for a word, without the search indexing the queue first. */
const indexed = (db: Database, word: string): number => Number(db.prepare('SELECT count(*) FROM messages_fts WHERE messages_fts MATCH ?').pluck().get(word));
const found = (search: SearchIndex, word: string): string[] =>
  search
    .search(word)
    .groups.flatMap((group) => group.hits)
    .map((hit) => (hit.kind === 'message' ? hit.messageId : hit.documentId));

describe('migration 6: search queue', () => {
  it('upgrades a version-5 database: what was indexed stays indexed, nothing is queued, the unused index is gone', () => {
    const old = temp.open(temp.file, { migrations: [initial, history, documents, searchSettled, tokenLimit] });
    const store = new ConversationStore(old);
    const { id } = store.create('Kept');
    const question = store.addMessage({ conversationId: id, role: 'user', content: 'where do rabbits sleep', status: 'complete' });
    store.addMessage({ conversationId: id, role: 'assistant', content: 'half written', status: 'streaming' });
    expect(indexed(old, 'rabbits')).toBe(1);
    closeDatabase(old);

    const db = temp.open();
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    expect(queued(db)).toEqual([]);
    expect(indexed(db, 'rabbits')).toBe(1);
    expect(indexed(db, 'written')).toBe(0);
    integrity(db);
    expect(found(new SearchIndex(db), 'rabbits')).toEqual([question.id]);
    expect(db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = 'conversations_by_updated_at'").pluck().get()).toBe(0);
  });

  it('keeps the index and the queue in step through a message’s whole life', () => {
    const db = temp.open();
    const store = new ConversationStore(db);
    const search = new SearchIndex(db);
    const { id } = store.create('Life');

    // A question is queued, not indexed, by its save; the index still passes its check.
    const { userMessage, assistantMessage } = store.addExchange({ conversationId: id, text: 'tell me about meadows' });
    expect(queued(db)).toEqual([userMessage.id]);
    expect(indexed(db, 'meadows')).toBe(0);
    integrity(db);
    // A search indexes the queue first: it finds the question at once.
    expect(found(search, 'meadows')).toEqual([userMessage.id]);
    expect(queued(db)).toEqual([]);
    expect(indexed(db, 'meadows')).toBe(1);

    // A streaming answer is neither queued nor indexed, however often it is saved.
    store.updateMessage(assistantMessage.id, { content: 'meadows are fields' });
    store.updateMessage(assistantMessage.id, { content: 'meadows are fields of grass' });
    expect(queued(db)).toEqual([]);
    expect(found(search, 'grass')).toEqual([]);
    // Once it ends it is queued, and found.
    store.updateMessage(assistantMessage.id, { status: 'complete' });
    expect(queued(db)).toEqual([assistantMessage.id]);
    integrity(db);
    expect(found(search, 'grass')).toEqual([assistantMessage.id]);

    // An indexed message edited: its old words leave the index at once, its new ones are queued.
    store.updateMessage(assistantMessage.id, { content: 'meadows are fields of clover' });
    expect(indexed(db, 'grass')).toBe(0);
    expect(queued(db)).toEqual([assistantMessage.id]);
    integrity(db);
    // Edited again while queued: still queued once, nothing to take out of the index.
    store.updateMessage(assistantMessage.id, { content: 'meadows are fields of thyme' });
    expect(queued(db)).toEqual([assistantMessage.id]);
    integrity(db);
    expect(found(search, 'clover')).toEqual([]);
    expect(found(search, 'thyme')).toEqual([assistantMessage.id]);

    // Back to streaming (a continued answer): out of the index; then queued again when it ends.
    store.updateMessage(assistantMessage.id, { status: 'streaming' });
    expect(indexed(db, 'thyme')).toBe(0);
    expect(queued(db)).toEqual([]);
    integrity(db);
    store.updateMessage(assistantMessage.id, { status: 'complete' });

    // Deleting the conversation: the queued answer leaves the queue, the indexed question the
    // index; nothing is found any more.
    store.delete(id);
    expect(queued(db)).toEqual([]);
    integrity(db);
    expect(indexed(db, 'meadows')).toBe(0);
    expect(found(search, 'meadows')).toEqual([]);
  });

  it('is indexed by the quiet moment’s maintenance, in bounded steps', () => {
    const db = temp.open();
    const store = new ConversationStore(db);
    const { id } = store.create('Many');
    const count = INDEX_STEP_MESSAGES * 2 + 50;
    for (let i = 0; i < count; i++) store.addMessage({ conversationId: id, role: 'user', content: `warren number ${i}`, status: 'complete' });
    expect(queued(db)).toHaveLength(count);

    const maintenance = new StoreMaintenance(db);
    maintenance.step();
    expect(maintenance.report.indexed).toBe(INDEX_STEP_MESSAGES);
    expect(queued(db)).toHaveLength(count - INDEX_STEP_MESSAGES);
    integrity(db);
    maintenance.settle();
    expect(maintenance.report.indexed).toBe(count);
    expect(queued(db)).toEqual([]);
    expect(indexed(db, 'warren')).toBe(count);
    integrity(db);
  });

  it('searches without waiting when another connection holds the write lock, and catches up after', () => {
    const db = temp.open();
    const store = new ConversationStore(db);
    const search = new SearchIndex(db);
    const { id } = store.create('Locked');
    const first = store.addMessage({ conversationId: id, role: 'user', content: 'the first burrow', status: 'complete' });
    expect(found(search, 'burrow')).toEqual([first.id]);
    const second = store.addMessage({ conversationId: id, role: 'user', content: 'the second burrow', status: 'complete' });

    const other = new Sqlite(temp.file);
    try {
      other.exec('BEGIN IMMEDIATE');
      const started = performance.now();
      // Not the 5 s busy timeout: the queued message is left for later, the index is searched.
      expect(found(search, 'burrow')).toEqual([first.id]);
      expect(performance.now() - started).toBeLessThan(1000);
      other.exec('ROLLBACK');
    } finally {
      other.close();
    }
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
    expect(found(search, 'burrow').sort()).toEqual([first.id, second.id].sort());
  });

  it('follows a restored copy: the queue names messages by id, which survive renumbered rowids and the index rebuild', () => {
    const db = temp.open();
    const store = new ConversationStore(db);
    const ids = Array.from({ length: 5 }, (_, i) => {
      const { id } = store.create(`Copied ${i}`);
      store.addMessage({ conversationId: id, role: 'user', content: `filler ${i}`, status: 'complete' });
      return id;
    });
    new SearchQueue(db).indexAll();
    store.delete(ids[1] ?? '');
    store.delete(ids[3] ?? '');
    const waiting = store.addMessage({ conversationId: ids[4] ?? '', role: 'user', content: 'queued hedgehog', status: 'complete' });
    const copyFile = `${temp.file}.copy`;
    db.prepare('VACUUM INTO ?').run(copyFile);
    const copy = temp.open(copyFile);
    // VACUUM is allowed to renumber them (SQLite 3.53 happens not to here): as if it had.
    copy.prepare('UPDATE messages SET rowid = rowid + 1000').run();
    expect(queued(copy)).toEqual([waiting.id]);
    copy.prepare("INSERT INTO messages_fts (messages_fts) VALUES ('rebuild')").run();
    integrity(copy);
    expect(found(new SearchIndex(copy), 'hedgehog')).toEqual([waiting.id]);
    expect(found(new SearchIndex(copy), 'filler')).toHaveLength(3);
    integrity(copy);
  });
});
