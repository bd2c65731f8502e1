/**
 * Migration 5: an answer that stopped at its token limit keeps that limit, so the mark and
 * Continue survive a reload. Real SQLite files, the real ConversationStore.
 */
import { describe, expect, it } from 'vitest';
import { ConversationStore } from '../../../src/core/store/conversations';
import { migrations } from '../../../src/core/store/migrations';
import { initial } from '../../../src/core/store/migrations/001-initial';
import { history } from '../../../src/core/store/migrations/002-history';
import { documents } from '../../../src/core/store/migrations/003-documents';
import { searchSettled } from '../../../src/core/store/migrations/004-search-settled';
import { closeDatabase } from '../../../src/core/store/database';
import { SearchIndex } from '../../../src/core/store/search';
import { useTempDataDir } from './helpers';

const temp = useTempDataDir();

describe('migration 5 (token limit)', () => {
  it('upgrades a version-4 database: its answers keep their text and have no limit mark', () => {
    const old = temp.open(temp.file, { migrations: [initial, history, documents, searchSettled] });
    const id = 'c1';
    old.exec(`INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c1', 'Kept', 1, 1);
      INSERT INTO messages (id, conversation_id, parent_id, seq, role, content, status, error, created_at)
        VALUES ('m1', 'c1', NULL, 1, 'user', 'Where do rabbits live?', 'complete', NULL, 1),
               ('m2', 'c1', 'm1', 2, 'assistant', 'In burrows.', 'complete', NULL, 2);`);
    closeDatabase(old);

    const db = temp.open();
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    const messages = new ConversationStore(db).get(id).messages;
    expect(messages.map((m) => [m.role, m.content, m.tokenLimit])).toEqual([
      ['user', 'Where do rabbits live?', null],
      ['assistant', 'In burrows.', null],
    ]);
  });

  it('saves, keeps and clears the limit an answer stopped at; the answer stays searchable', () => {
    const db = temp.open();
    const store = new ConversationStore(db);
    const { id } = store.create('Cut off');
    const { assistantMessage } = store.addExchange({ conversationId: id, text: 'Tell me about burrows' });
    store.updateMessage(assistantMessage.id, { content: 'Burrows are warm tunnels', status: 'complete', tokenLimit: 1024 });
    expect(store.getMessage(assistantMessage.id).tokenLimit).toBe(1024);
    store.updateMessage(assistantMessage.id, { content: 'Burrows are warm tunnels that' });
    expect(store.getMessage(assistantMessage.id).tokenLimit, 'left out: kept').toBe(1024);
    expect(new SearchIndex(db).search('tunnels').groups.map((group) => group.conversationId)).toEqual([id]);
    store.updateMessage(assistantMessage.id, { tokenLimit: null });
    expect(store.getMessage(assistantMessage.id).tokenLimit).toBeNull();
    expect(() => db.prepare('UPDATE messages SET token_limit = 0 WHERE id = ?').run(assistantMessage.id)).toThrow(/CHECK/);
  });
});
