import { describe, expect, it } from 'vitest';
import { DocumentStore } from '../../../src/core/store/document-store';
import { ConversationStore } from '../../../src/core/store/conversations';
import { migrations } from '../../../src/core/store/migrations';
import { initial } from '../../../src/core/store/migrations/001-initial';
import { history } from '../../../src/core/store/migrations/002-history';
import { closeDatabase } from '../../../src/core/store/database';
import { useTempDataDir } from './helpers';

const temp = useTempDataDir();

function count(db: ReturnType<typeof temp.open>, table: string): number {
  return Number(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
}

function seed(store: DocumentStore, conversationId: string) {
  const document = store.addDocument({
    conversationId,
    fileName: 'report.pdf',
    format: 'pdf',
    title: null,
    sizeBytes: 1234,
    pageCount: 2,
    pagesRead: 2,
    charCount: 40,
    notices: [],
    units: [
      { page: 1, section: null, text: 'Rabbits dig tunnels.', breaks: [20] },
      { page: 2, section: null, text: 'Moss keeps burrows warm.', breaks: [24] },
    ],
  });
  store.replaceChunks(
    document.id,
    [
      { seq: 0, text: 'Rabbits dig tunnels.', pageStart: 1, pageEnd: 1, section: null, tokenCount: 5 },
      { seq: 1, text: 'Moss keeps burrows warm.', pageStart: 2, pageEnd: 2, section: null, tokenCount: 5 },
    ],
    2048,
  );
  const summary = store.createSummary({ documentId: document.id, style: 'key-points', focus: null, chunkCount: 2, contextSize: 2048 });
  store.savePart(summary.id, { level: 0, seq: 0, text: 'tunnels', firstChunk: 0, lastChunk: 0, tokenCount: 1 });
  return { document, summary };
}

describe('migration 3 (documents)', () => {
  it('upgrades a version-2 database, keeping its conversations', () => {
    const old = temp.open(temp.file, { migrations: [initial, history] });
    old.exec("INSERT INTO conversations (id, title, created_at, updated_at) VALUES ('c1', 'Kept', 1, 1)");
    closeDatabase(old);
    const db = temp.open();
    expect(db.pragma('user_version', { simple: true })).toBe(migrations.length);
    expect(new ConversationStore(db).list().map((c) => c.title)).toEqual(['Kept']);
    expect(count(db, 'documents')).toBe(0);
  });

  it('searches chunks with BM25, only within the document asked for', () => {
    const db = temp.open();
    const conversations = new ConversationStore(db);
    const store = new DocumentStore(db);
    const a = seed(store, conversations.create('A').id);
    const b = seed(store, conversations.create('B').id);
    expect(store.search(a.document.id, '"moss"', 5).map((hit) => hit.seq)).toEqual([1]);
    expect(store.search(b.document.id, '"rabbits" OR "warm"', 5)).toHaveLength(2);
  });

  it('deleting a conversation deletes its documents, text, chunks, search entries and summaries', () => {
    const db = temp.open();
    const conversations = new ConversationStore(db);
    const store = new DocumentStore(db);
    const keep = conversations.create('Keep');
    const gone = conversations.create('Gone');
    const kept = seed(store, keep.id);
    seed(store, gone.id);
    conversations.delete(gone.id);
    for (const table of ['documents', 'document_summaries']) expect(count(db, table)).toBe(1);
    for (const table of ['document_units', 'document_chunks', 'document_summary_parts']) expect(count(db, table)).toBe(table === 'document_summary_parts' ? 1 : 2);
    // The index holds the kept document's words only: nothing of the deleted one can be found.
    expect(Number(db.prepare("SELECT count(*) FROM document_chunks_fts WHERE document_chunks_fts MATCH 'moss'").pluck().get())).toBe(1);
    expect(store.search(kept.document.id, '"moss"', 5)).toHaveLength(1);
    expect(db.prepare("INSERT INTO document_chunks_fts (document_chunks_fts) VALUES ('integrity-check')").run().changes).toBeGreaterThanOrEqual(0);
    conversations.delete(keep.id);
    for (const table of ['documents', 'document_units', 'document_chunks', 'document_summaries', 'document_summary_parts']) expect(count(db, table)).toBe(0);
    expect(Number(db.prepare("SELECT count(*) FROM document_chunks_fts WHERE document_chunks_fts MATCH 'moss OR rabbits'").pluck().get())).toBe(0);
  });

  it('marks running summaries interrupted, and finds them to resume by style and focus', () => {
    const db = temp.open();
    const store = new DocumentStore(db);
    const { document, summary } = seed(store, new ConversationStore(db).create().id);
    expect(store.markInterrupted()).toBe(1);
    expect(store.getSummary(summary.id).status).toBe('interrupted');
    expect(store.resumable(document.id, 'key-points', null)?.id).toBe(summary.id);
    expect(store.resumable(document.id, 'brief', null)).toBeNull();
    expect(store.resumable(document.id, 'key-points', 'costs')).toBeNull();
  });
});
