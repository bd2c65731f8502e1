import { describe, expect, it } from 'vitest';
import { RANK_LIMIT, SearchIndex } from '../../../src/core/store/search';
import { ConversationStore } from '../../../src/core/store/conversations';
import type { Database } from '../../../src/core/store/database';
import { SearchResults, type SearchHit, type TextSegment } from '../../../src/shared/contract';
import { useTempDataDir } from './helpers';

const temp = useTempDataDir();

function seed(db: Database, conversations: Array<{ title: string; messages: string[] }>): Map<string, string> {
  const store = new ConversationStore(db);
  const ids = new Map<string, string>();
  for (const conversation of conversations) {
    const { id } = store.create(conversation.title);
    ids.set(conversation.title, id);
    conversation.messages.forEach((content, index) => {
      const message = store.addMessage({ conversationId: id, role: index % 2 === 0 ? 'user' : 'assistant', content, status: 'complete' });
      ids.set(content, message.id);
    });
  }
  return ids;
}

const text = (segments: TextSegment[]): string => segments.map((segment) => segment.text).join('');
const matched = (segments: TextSegment[]): string[] => segments.filter((segment) => segment.match).map((segment) => segment.text);
const messageIds = (results: SearchResults): string[] => results.groups.flatMap((group) => group.hits.flatMap((hit: SearchHit) => (hit.kind === 'message' ? [hit.messageId] : [])));

describe('search', () => {
  it('groups hits by conversation, ranks the better match first and marks matching words in plain-text snippets', () => {
    const db = temp.open();
    const ids = seed(db, [
      { title: 'Garden', messages: ['The rabbit ate a leaf.', 'Carrots grow well here.'] },
      { title: 'Burrows', messages: ['A rabbit digs a burrow; rabbit kits stay in the rabbit burrow.', 'Moss keeps it warm.'] },
      { title: 'Weather', messages: ['Rain all day.'] },
    ]);
    const results = new SearchIndex(db).search('rabbit', 10);
    expect(SearchResults.parse(results)).toEqual(results);
    expect(results.order).toBe('relevance');
    expect(results.groups.map((group) => group.title)).toEqual(['Burrows', 'Garden']);
    const best = results.groups[0]?.hits[0];
    expect(best).toMatchObject({ kind: 'message', messageId: ids.get('A rabbit digs a burrow; rabbit kits stay in the rabbit burrow.'), role: 'user' });
    expect(matched(best?.snippet ?? [])).toEqual(['rabbit', 'rabbit', 'rabbit']);
    expect(text(best?.snippet ?? [])).toBe('A rabbit digs a burrow; rabbit kits stay in the rabbit burrow.');
    expect(results.groups[0]?.titleSegments).toEqual([{ text: 'Burrows', match: false }]);
    expect(results.tookMs).toBeGreaterThanOrEqual(0);
  });

  it('finds passages of attached documents, in their conversation’s group, with the page or section to open', () => {
    const db = temp.open();
    const ids = seed(db, [
      { title: 'Budget talk', messages: ['What about the costs?'] },
      { title: 'Elsewhere', messages: ['Nothing about it.'] },
    ]);
    const conversationId = ids.get('Budget talk') ?? '';
    const addDocument = (id: string, fileName: string, chunks: Array<{ seq: number; text: string; page: number | null; section: string | null; context: number }>): void => {
      db.prepare("INSERT INTO documents (id, conversation_id, file_name, format, size_bytes, char_count, notices, created_at) VALUES (?, ?, ?, 'pdf', 100, 100, '[]', 5)").run(id, conversationId, fileName);
      for (const chunk of chunks) {
        db.prepare('INSERT INTO document_chunks (document_id, seq, text, page_start, page_end, section, token_count, context_size) VALUES (?, ?, ?, ?, ?, ?, 10, ?)').run(id, chunk.seq, chunk.text, chunk.page, chunk.page, chunk.section, chunk.context);
      }
    };
    addDocument('doc-report', 'report.pdf', [
      { seq: 0, text: 'Introduction to the warren.', page: 1, section: null, context: 2048 },
      { seq: 1, text: 'Heating costs rose in winter; costs of hay fell.', page: 2, section: null, context: 2048 },
    ]);
    addDocument('doc-notes', 'notes.md', [{ seq: 0, text: 'Costs, in short: modest.', page: null, section: 'Costs', context: 2048 }]);

    const results = new SearchIndex(db).search('costs');
    expect(SearchResults.parse(results)).toEqual(results);
    expect(results.groups.map((group) => group.title)).toEqual(['Budget talk']);
    const hits = results.groups[0]?.hits ?? [];
    expect(hits[0]).toMatchObject({ kind: 'message', messageId: ids.get('What about the costs?') });
    const passages = hits.filter((hit) => hit.kind === 'passage');
    expect(passages.map((hit) => [hit.fileName, hit.label]).sort()).toEqual([
      ['notes.md', '§ "Costs"'],
      ['report.pdf', 'p. 2'],
    ]);
    const report = passages.find((hit) => hit.fileName === 'report.pdf');
    expect(report).toMatchObject({ documentId: 'doc-report', createdAt: 5 });
    expect(matched(report?.snippet ?? [])).toEqual(['costs', 'costs']);
    // Deleting the conversation deletes its documents, and with them their search entries.
    db.prepare('DELETE FROM conversations WHERE id = ?').run(conversationId);
    expect(new SearchIndex(db).search('costs').groups).toEqual([]);
  });

  it('puts conversations whose title matches first, with the title marked', () => {
    const db = temp.open();
    seed(db, [
      { title: 'Notes on moss', messages: ['Nothing here.'] },
      { title: 'Other', messages: ['The moss is soft.'] },
    ]);
    const results = new SearchIndex(db).search('moss');
    expect(results.groups.map((group) => [group.title, group.hits.length])).toEqual([
      ['Notes on moss', 0],
      ['Other', 1],
    ]);
    expect(results.groups[0]?.titleSegments).toEqual([
      { text: 'Notes on ', match: false },
      { text: 'moss', match: true },
    ]);
  });

  it('matches prefixes while typing, honours "quoted phrases", and folds case and accents', () => {
    const db = temp.open();
    const ids = seed(db, [
      { title: 'One', messages: ['a warm burrow', 'the burrow is warm', 'Un café à Paris', 'RÉSUMÉ of the day'] },
    ]);
    const search = new SearchIndex(db);
    expect(messageIds(search.search('burr')).sort()).toEqual([ids.get('a warm burrow'), ids.get('the burrow is warm')].sort());
    expect(messageIds(search.search('burr '))).toEqual([]);
    expect(messageIds(search.search('"warm burrow"'))).toEqual([ids.get('a warm burrow')]);
    expect(messageIds(search.search('warm burrow')).length).toBe(2);
    expect(messageIds(search.search('cafe paris'))).toEqual([ids.get('Un café à Paris')]);
    expect(messageIds(search.search('resume'))).toEqual([ids.get('RÉSUMÉ of the day')]);
    const accented = search.search('CAFÉ').groups[0]?.hits[0];
    expect(matched(accented?.snippet ?? [])).toEqual(['café']);
  });

  it('never fails on what a user can type: FTS5 syntax, quotes, control characters, emoji, long input', () => {
    const db = temp.open();
    seed(db, [{ title: 'Chat', messages: ['NEAR the river: AND, OR, NOT (all words) "quoted" col:value x*y 🐇 rabbit'] }]);
    const search = new SearchIndex(db);
    const inputs = [
      '"', '""', '"""', 'NEAR(', 'NEAR(river the)', 'a OR', 'OR', 'AND NOT', '(', ')', '*', 'x*', '^start', 'col:value', 'content:river',
      '-rabbit', '+rabbit', 'rabbit"', '\'', '\\', '%', '_', '{}', '[', '🐇', 'rabbit 🐇', '\u0000', '\u001b[2J', 'ﬁ', 'İstanbul',
      'a'.repeat(500), `${'word '.repeat(100)}`, 'NOT rabbit', 'rabbit NOT', '"NEAR the" river', 'x*y', 'x * y',
    ];
    for (const input of inputs) {
      const results = search.search(input);
      expect(SearchResults.parse(results), input).toEqual(results);
    }
    expect(messageIds(search.search('NEAR(the river')).length).toBe(1);
    expect(messageIds(search.search('col:value')).length).toBe(1);
    expect(search.search('🐇').groups).toEqual([]);
  });

  it('uses markers no message can fake: text that looks like markup stays text', () => {
    const db = temp.open();
    seed(db, [{ title: 'Markup', messages: ['<b>rabbit</b> and <script>alert(1)</script> \u0001[ fake ]\u0001 rabbit'] }]);
    const hit = new SearchIndex(db).search('rabbit').groups[0]?.hits[0];
    expect(matched(hit?.snippet ?? [])).toEqual(['rabbit', 'rabbit']);
    expect(text(hit?.snippet ?? [])).toContain('<script>alert(1)</script>');
  });

  it(`falls back to newest-first for words matching more than ${RANK_LIMIT} messages, and stays fast with 50 000`, () => {
    const db = temp.open();
    const total = 50_000;
    const started = Date.now();
    db.transaction(() => {
      const conversation = db.prepare("INSERT INTO conversations (id, title, created_at, updated_at) VALUES (?, 'Bulk', 0, 0)");
      const message = db.prepare(
        "INSERT INTO messages (id, conversation_id, seq, role, content, status, created_at) VALUES (?, ?, ?, 'user', ?, 'complete', ?)",
      );
      for (let c = 0; c < 50; c++) {
        conversation.run(`c${c}`);
        for (let m = 0; m < total / 50; m++) {
          const n = c * (total / 50) + m;
          message.run(`m${n}`, `c${c}`, m + 1, `message ${n} about the rabbit ${n % 7 === 0 ? 'and a quiet tunnel' : ''}`, n);
        }
      }
    })();
    console.info(`seeded ${total} messages in ${Date.now() - started} ms`);

    const search = new SearchIndex(db);
    const common = search.search('rabbit', 20);
    expect(common.order).toBe('newest');
    expect(messageIds(common)[0]).toBe(`m${total - 1}`);
    expect(messageIds(common)).toHaveLength(20);
    // Generous bounds only (a loaded CI machine): the benchmark measures the real times.
    expect(common.tookMs).toBeLessThan(2000);

    const prefix = search.search('rab', 20);
    expect(prefix.order).toBe('newest');
    expect(prefix.tookMs).toBeLessThan(2000);

    const rare = search.search('message 49999', 5);
    expect(rare.order).toBe('relevance');
    expect(messageIds(rare)[0]).toBe('m49999');
    console.info(`50 000 messages: "rabbit" ${common.tookMs.toFixed(1)} ms, "rab" ${prefix.tookMs.toFixed(1)} ms, "message 49999" ${rare.tookMs.toFixed(1)} ms`);
  });
});
