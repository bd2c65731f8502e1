import { describe, expect, it } from 'vitest';
import { SearchIndex } from '../../../src/core/store/search';
import { ConversationStore } from '../../../src/core/store/conversations';
import { closeDatabase, snapshotPath } from '../../../src/core/store/database';
import { migrations } from '../../../src/core/store/migrations';
import { initial } from '../../../src/core/store/migrations/001-initial';
import { ConversationView } from '../../../src/shared/contract';
import { useTempDataDir } from './helpers';

const temp = useTempDataDir();

/** A version-1 database with two conversations written the way Burrow 1 wrote them. */
function writeVersion1(): void {
  const db = temp.open(temp.file, { migrations: [initial] });
  db.exec(`
    INSERT INTO conversations VALUES ('c1', 'Rabbit facts', 1000, 5000);
    INSERT INTO conversations VALUES ('c2', 'Empty one', 2000, 2000);
    INSERT INTO messages (id, conversation_id, seq, role, content, status, error, created_at) VALUES
      ('m1', 'c1', 1, 'user', 'Where do rabbits live?', 'complete', NULL, 1000),
      ('m2', 'c1', 2, 'assistant', 'In a warm burrow under the field.', 'complete', NULL, 2000),
      ('m3', 'c1', 3, 'user', 'And in winter?', 'complete', NULL, 3000),
      ('m4', 'c1', 4, 'assistant', 'Still in the burrow, half an ans', 'streaming', NULL, 4000);
    INSERT INTO settings VALUES ('models.last', '"/models/tiny.gguf"');
  `);
  closeDatabase(db);
}

describe('migration 2 (branches, pins, settings, search)', () => {
  it('upgrades a version-1 database with data: every message kept, each chained to the one before, the last one active', () => {
    writeVersion1();
    const db = temp.open();
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    const store = new ConversationStore(db);

    const view = store.get('c1');
    expect(ConversationView.parse(view)).toEqual(view);
    expect(view.messages.map((m) => [m.id, m.parentId, m.siblingIds, m.content])).toEqual([
      ['m1', null, ['m1'], 'Where do rabbits live?'],
      ['m2', 'm1', ['m2'], 'In a warm burrow under the field.'],
      ['m3', 'm2', ['m3'], 'And in winter?'],
      ['m4', 'm3', ['m4'], 'Still in the burrow, half an ans'],
    ]);
    expect(view.conversation).toEqual({ id: 'c1', title: 'Rabbit facts', createdAt: 1000, updatedAt: 5000, messageCount: 4, pinned: false });
    expect(view.settings).toEqual({ systemPrompt: null, temperature: null, topP: null, maxTokens: null });
    expect(store.get('c2').messages).toEqual([]);
    // Status and settings rows untouched; the interrupted-marking is the app's job at start.
    expect(store.getMessage('m4').status).toBe('streaming');
    expect(db.prepare("SELECT value FROM settings WHERE key = 'models.last'").pluck().get()).toBe('"/models/tiny.gguf"');
  });

  it('indexes existing messages and titles for search, and keeps the index in step with later writes', () => {
    writeVersion1();
    const db = temp.open();
    // As the app does at start: the half-written answer (m4) is marked interrupted, and with
    // that it is searchable (since migration 4 the index holds settled messages only).
    new ConversationStore(db).markInterrupted();
    const search = new SearchIndex(db);
    expect(search.search('burrow').groups.map((g) => [g.conversationId, g.hits.map((h) => h.kind === 'message' && h.messageId)])).toEqual([
      ['c1', expect.arrayContaining(['m2', 'm4'])],
    ]);
    expect(search.search('rabbit facts').groups[0]?.titleSegments).toEqual([
      { text: 'Rabbit', match: true },
      { text: ' ', match: false },
      { text: 'facts', match: true },
    ]);

    const store = new ConversationStore(db);
    store.updateMessage('m4', { content: 'Moss and stones keep it dry' });
    store.rename('c2', 'Moss garden');
    expect(search.search('burrow').groups[0]?.hits).toHaveLength(1);
    expect(search.search('moss').groups.map((g) => g.conversationId).sort()).toEqual(['c1', 'c2']);
    store.delete('c1');
    expect(search.search('moss').groups.map((g) => g.conversationId)).toEqual(['c2']);
    // FTS5's own check that the index matches the table (it throws SQLITE_CORRUPT_VTAB otherwise).
    expect(() => db.prepare("INSERT INTO messages_fts (messages_fts, rank) VALUES ('integrity-check', 1)").run()).not.toThrow();
  });

  it('keeps a snapshot of the version-1 file, which still opens as version 1', () => {
    writeVersion1();
    closeDatabase(temp.open());
    const snapshot = temp.open(snapshotPath(temp.file, migrations.length), { readonly: true, migrations: [initial] });
    expect(snapshot.pragma('user_version', { simple: true })).toBe(1);
    expect(snapshot.prepare('SELECT count(*) FROM messages').pluck().get()).toBe(4);
  });

  it('turns on FTS5 secure-delete and refuses a parent from another place', () => {
    const db = temp.open();
    expect(db.prepare("SELECT v FROM messages_fts_config WHERE k = 'secure-delete'").pluck().get()).toBe(1);
    expect(db.prepare("SELECT v FROM conversations_fts_config WHERE k = 'secure-delete'").pluck().get()).toBe(1);
    db.exec("INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c', 't', 0, 0)");
    expect(() =>
      db.prepare("INSERT INTO messages (id, conversation_id, parent_id, seq, role, content, status, created_at) VALUES ('m', 'c', 'nowhere', 1, 'user', 'x', 'complete', 0)").run(),
    ).toThrow(/FOREIGN KEY/);
    expect(() => db.exec("UPDATE conversations SET pinned = 2 WHERE id = 'c'")).toThrow(/CHECK/);
  });
});
