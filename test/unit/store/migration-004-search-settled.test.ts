/**
 * Migration 4: the message search index holds settled messages only, so a streaming answer's
 * saves never re-index it — the pattern that corrupted FTS5's secure-delete index (see the
 * migration). Real SQLite files, the real ConversationStore.
 */
import { describe, expect, it } from 'vitest';
import { SearchIndex } from '../../../src/core/store/search';
import { ConversationStore } from '../../../src/core/store/conversations';
import { migrations } from '../../../src/core/store/migrations';
import { useTempDataDir } from './helpers';

const temp = useTempDataDir();

const integrity = (db: ReturnType<typeof temp.open>): void => {
  db.prepare("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)").run();
};

describe('migration 4: search indexes settled messages', () => {
  it('an answer saved a hundred times while it streams, then deleted, leaves a sound index', () => {
    const db = temp.open();
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    const store = new ConversationStore(db);
    for (let i = 0; i < 50; i++) {
      const { id } = store.create(`other ${i}`);
      store.addMessage({ conversationId: id, role: 'user', content: `ni hello ${i}`, status: 'complete' });
    }
    const { id: conversationId } = store.create('Streaming');
    const answer = store.addMessage({ conversationId, role: 'assistant', content: '', status: 'streaming' });
    const update = db.prepare<[string, string]>('UPDATE messages SET content = ? WHERE id = ?');
    let text = '';
    // What killed the old index: one row's long run of a single word, re-indexed at every save.
    for (let save = 0; save < 109; save++) {
      text += 'ni ni ni ni ni ';
      update.run(text, answer.id);
    }
    const search = new SearchIndex(db);
    expect(search.search('ni').groups.some((group) => group.conversationId === conversationId), 'not searchable while it streams').toBe(false);
    db.prepare("UPDATE messages SET status = 'complete' WHERE id = ?").run(answer.id);
    expect(search.search('ni').groups.some((group) => group.conversationId === conversationId), 'searchable once it ends').toBe(true);
    integrity(db);

    db.prepare('DELETE FROM conversations WHERE id = ?').run(conversationId);
    integrity(db);
    expect(search.search('ni').groups.some((group) => group.conversationId === conversationId)).toBe(false);
  });

  it('an interrupted answer (marked at start) becomes searchable; a corrected one is re-indexed once', () => {
    const db = temp.open();
    const store = new ConversationStore(db);
    const { id: conversationId } = store.create('Cut off');
    const answer = store.addMessage({ conversationId, role: 'assistant', content: 'the badger sett', status: 'streaming' });
    const search = new SearchIndex(db);
    expect(search.search('badger').groups).toEqual([]);
    store.markInterrupted();
    expect(search.search('badger').groups.map((group) => group.conversationId)).toEqual([conversationId]);
    db.prepare('UPDATE messages SET content = ? WHERE id = ?').run('the otter holt', answer.id);
    expect(search.search('badger').groups).toEqual([]);
    expect(search.search('otter').groups.map((group) => group.conversationId)).toEqual([conversationId]);
    integrity(db);
  });
});
