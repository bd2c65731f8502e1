/**
 * The only code that writes the document tables (migration 003). Rows in, plain records out;
 * the contract's shapes are built by the service from these.
 */
import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import { z } from 'zod';
import type { DocumentFormat } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import { writing } from './storage-errors';
import { SqlStore, type DatabaseHandle } from './handle';

/**
 * One stretch of the document with one location: a PDF page, or a section (DOCX/HTML/Markdown
 * heading, EPUB chapter). `breaks` are the offsets in `text` where a sentence ends (the last one
 * is `text.length`), so chunking never has to split a sentence, and can do so in the core
 * without re-reading megabytes of text on its event loop.
 *
 * What the extraction process hands over (documents/) and what is stored, one row each.
 */
export interface ExtractedUnit {
  /** 1-based page number (PDF), else null. */
  page: number | null;
  /** The heading or chapter title this text sits under, else null. */
  section: string | null;
  text: string;
  breaks: number[];
}

export type SummaryStyle = 'brief' | 'key-points' | 'outline';
export type SummaryStatus = 'running' | 'interrupted' | 'cancelled' | 'done' | 'error';

export interface DocumentRecord {
  id: string;
  conversationId: string;
  fileName: string;
  format: DocumentFormat;
  title: string | null;
  sizeBytes: number;
  pageCount: number | null;
  pagesRead: number | null;
  charCount: number;
  notices: string[];
  createdAt: number;
}

export interface UnitRecord extends ExtractedUnit {
  seq: number;
}

export interface ChunkRecord {
  /** Global row id (the search index's rowid). */
  rowId: number;
  documentId: string;
  /** 0-based position in the document: the chunk id the contract shows. */
  seq: number;
  text: string;
  pageStart: number | null;
  pageEnd: number | null;
  section: string | null;
  tokenCount: number;
  contextSize: number;
}

export type NewChunk = Omit<ChunkRecord, 'rowId' | 'documentId' | 'contextSize'>;

export interface SummaryRecord {
  id: string;
  documentId: string;
  style: SummaryStyle;
  focus: string | null;
  status: SummaryStatus;
  error: string | null;
  chunkCount: number;
  contextSize: number;
  /** The finished summary (JSON the service parses), or null. */
  result: string | null;
  messageId: string | null;
  createdAt: number;
  updatedAt: number;
}

export interface PartRecord {
  level: number;
  seq: number;
  text: string;
  firstChunk: number;
  lastChunk: number;
  tokenCount: number;
}

const Notices = z.array(z.string());
const Breaks = z.array(z.number().int().nonnegative());

interface DocumentRow {
  id: string;
  conversation_id: string;
  file_name: string;
  format: DocumentFormat;
  title: string | null;
  size_bytes: number;
  page_count: number | null;
  pages_read: number | null;
  char_count: number;
  notices: string;
  created_at: number;
}

interface SummaryRow {
  id: string;
  document_id: string;
  style: SummaryStyle;
  focus: string | null;
  status: SummaryStatus;
  error: string | null;
  chunk_count: number;
  context_size: number;
  result: string | null;
  message_id: string | null;
  created_at: number;
  updated_at: number;
}

const CHUNK_COLUMNS = 'id AS rowId, document_id AS documentId, seq, text, page_start AS pageStart, page_end AS pageEnd, section, token_count AS tokenCount, context_size AS contextSize';
const PART_COLUMNS = 'level, seq, text, first_chunk AS firstChunk, last_chunk AS lastChunk, token_count AS tokenCount';

function prepare(db: Database) {
  return {
    insertDocument: db.prepare<[DocumentRow]>(
      `INSERT INTO documents (id, conversation_id, file_name, format, title, size_bytes, page_count, pages_read, char_count, notices, created_at)
       VALUES (@id, @conversation_id, @file_name, @format, @title, @size_bytes, @page_count, @pages_read, @char_count, @notices, @created_at)`,
    ),
    insertUnit: db.prepare<[{ document_id: string; seq: number; page: number | null; section: string | null; text: string; breaks: string }]>(
      'INSERT INTO document_units (document_id, seq, page, section, text, breaks) VALUES (@document_id, @seq, @page, @section, @text, @breaks)',
    ),
    getDocument: db.prepare<[string], DocumentRow>('SELECT * FROM documents WHERE id = ?'),
    listDocuments: db.prepare<[string], DocumentRow>('SELECT * FROM documents WHERE conversation_id = ? ORDER BY created_at, rowid'),
    deleteDocument: db.prepare<[string]>('DELETE FROM documents WHERE id = ?'),
    units: db.prepare<[string], { seq: number; page: number | null; section: string | null; text: string; breaks: string }>(
      'SELECT seq, page, section, text, breaks FROM document_units WHERE document_id = ? ORDER BY seq',
    ),
    chunks: db.prepare<[string], ChunkRecord>(`SELECT ${CHUNK_COLUMNS} FROM document_chunks WHERE document_id = ? ORDER BY seq`),
    chunk: db.prepare<[string, number], ChunkRecord>(`SELECT ${CHUNK_COLUMNS} FROM document_chunks WHERE document_id = ? AND seq = ?`),
    deleteChunks: db.prepare<[string]>('DELETE FROM document_chunks WHERE document_id = ?'),
    insertChunk: db.prepare<[{ document_id: string; seq: number; text: string; page_start: number | null; page_end: number | null; section: string | null; token_count: number; context_size: number }]>(
      `INSERT INTO document_chunks (document_id, seq, text, page_start, page_end, section, token_count, context_size)
       VALUES (@document_id, @seq, @text, @page_start, @page_end, @section, @token_count, @context_size)`,
    ),
    search: db.prepare<[string, string, number], { seq: number; score: number }>(
      `SELECT c.seq AS seq, bm25(document_chunks_fts) AS score
       FROM document_chunks_fts JOIN document_chunks c ON c.id = document_chunks_fts.rowid
       WHERE document_chunks_fts MATCH ? AND c.document_id = ?
       ORDER BY score LIMIT ?`,
    ),
    insertSummary: db.prepare<[SummaryRow]>(
      `INSERT INTO document_summaries (id, document_id, style, focus, status, error, chunk_count, context_size, result, message_id, created_at, updated_at)
       VALUES (@id, @document_id, @style, @focus, @status, @error, @chunk_count, @context_size, @result, @message_id, @created_at, @updated_at)`,
    ),
    getSummary: db.prepare<[string], SummaryRow>('SELECT * FROM document_summaries WHERE id = ?'),
    summaries: db.prepare<[string], SummaryRow>('SELECT * FROM document_summaries WHERE document_id = ? ORDER BY created_at, rowid'),
    resumable: db.prepare<[string, string, string | null], SummaryRow>(
      `SELECT * FROM document_summaries WHERE document_id = ? AND style = ? AND focus IS ? AND status IN ('interrupted', 'cancelled', 'error', 'running')
       ORDER BY updated_at DESC LIMIT 1`,
    ),
    updateSummary: db.prepare<[{ id: string; status: SummaryStatus; error: string | null; result: string | null; message_id: string | null; chunk_count: number; context_size: number; updated_at: number }]>(
      `UPDATE document_summaries SET status = @status, error = @error, result = @result, message_id = @message_id,
         chunk_count = @chunk_count, context_size = @context_size, updated_at = @updated_at WHERE id = @id`,
    ),
    markInterrupted: db.prepare<[]>("UPDATE document_summaries SET status = 'interrupted' WHERE status = 'running'"),
    parts: db.prepare<[string], PartRecord>(`SELECT ${PART_COLUMNS} FROM document_summary_parts WHERE summary_id = ? ORDER BY level, seq`),
    insertPart: db.prepare<[{ summary_id: string; level: number; seq: number; text: string; first_chunk: number; last_chunk: number; token_count: number }]>(
      `INSERT OR REPLACE INTO document_summary_parts (summary_id, level, seq, text, first_chunk, last_chunk, token_count)
       VALUES (@summary_id, @level, @seq, @text, @first_chunk, @last_chunk, @token_count)`,
    ),
    deleteParts: db.prepare<[string]>('DELETE FROM document_summary_parts WHERE summary_id = ?'),
  };
}

export class DocumentStore extends SqlStore<ReturnType<typeof prepare>> {
  readonly #now: () => number;

  constructor(db: Database | DatabaseHandle, now: () => number = Date.now) {
    super(db, prepare);
    this.#now = now;
  }

  addDocument(input: Omit<DocumentRecord, 'id' | 'createdAt'> & { units: readonly ExtractedUnit[] }): DocumentRecord {
    const record: DocumentRecord = { ...input, id: randomUUID(), createdAt: this.#now() };
    writing('save this document', () =>
      this.db.transaction(() => {
        this.sql.insertDocument.run({
          id: record.id,
          conversation_id: record.conversationId,
          file_name: record.fileName,
          format: record.format,
          title: record.title,
          size_bytes: record.sizeBytes,
          page_count: record.pageCount,
          pages_read: record.pagesRead,
          char_count: record.charCount,
          notices: JSON.stringify(record.notices),
          created_at: record.createdAt,
        });
        input.units.forEach((unit, seq) =>
          this.sql.insertUnit.run({ document_id: record.id, seq, page: unit.page, section: unit.section, text: unit.text, breaks: JSON.stringify(unit.breaks) }),
        );
      })(),
    );
    return { ...record, notices: [...record.notices] };
  }

  getDocument(id: string): DocumentRecord {
    return toDocument(found(this.sql.getDocument.get(id), 'This document no longer exists. Its conversation may have been deleted.'));
  }

  listDocuments(conversationId: string): DocumentRecord[] {
    return this.sql.listDocuments.all(conversationId).map(toDocument);
  }

  deleteDocument(id: string): boolean {
    return writing('remove this document', () => this.sql.deleteDocument.run(id).changes > 0);
  }

  units(documentId: string): UnitRecord[] {
    return this.sql.units.all(documentId).map((row) => ({ seq: row.seq, page: row.page, section: row.section, text: row.text, breaks: Breaks.parse(JSON.parse(row.breaks)) }));
  }

  chunks(documentId: string): ChunkRecord[] {
    return this.sql.chunks.all(documentId);
  }

  chunk(documentId: string, seq: number): ChunkRecord | undefined {
    return this.sql.chunk.get(documentId, seq);
  }

  replaceChunks(documentId: string, chunks: readonly NewChunk[], contextSize: number): void {
    writing('save this document', () =>
      this.db.transaction(() => {
        this.sql.deleteChunks.run(documentId);
        for (const chunk of chunks) {
          this.sql.insertChunk.run({
            document_id: documentId,
            seq: chunk.seq,
            text: chunk.text,
            page_start: chunk.pageStart,
            page_end: chunk.pageEnd,
            section: chunk.section,
            token_count: chunk.tokenCount,
            context_size: contextSize,
          });
        }
      })(),
    );
  }

  /** Chunk seqs best first (BM25). `match` is an FTS5 query built by the caller from plain words. */
  search(documentId: string, match: string, limit: number): Array<{ seq: number; score: number }> {
    return this.sql.search.all(match, documentId, limit);
  }

  createSummary(input: { documentId: string; style: SummaryStyle; focus: string | null; chunkCount: number; contextSize: number }): SummaryRecord {
    const now = this.#now();
    const row: SummaryRow = {
      id: randomUUID(),
      document_id: input.documentId,
      style: input.style,
      focus: input.focus,
      status: 'running',
      error: null,
      chunk_count: input.chunkCount,
      context_size: input.contextSize,
      result: null,
      message_id: null,
      created_at: now,
      updated_at: now,
    };
    writing('start this summary', () => this.sql.insertSummary.run(row));
    return toSummary(row);
  }

  getSummary(id: string): SummaryRecord {
    return toSummary(found(this.sql.getSummary.get(id), 'This summary no longer exists. Its conversation may have been deleted.'));
  }

  summaries(documentId: string): SummaryRecord[] {
    return this.sql.summaries.all(documentId).map(toSummary);
  }

  /** The newest unfinished summary of this document with this style and focus, to resume. */
  resumable(documentId: string, style: SummaryStyle, focus: string | null): SummaryRecord | null {
    const row = this.sql.resumable.get(documentId, style, focus);
    return row === undefined ? null : toSummary(row);
  }

  updateSummary(id: string, patch: Partial<Pick<SummaryRecord, 'status' | 'error' | 'result' | 'messageId' | 'chunkCount' | 'contextSize'>>): SummaryRecord {
    return writing('save this summary', () =>
      this.db.transaction(() => {
        const current = this.getSummary(id);
        const next = { ...current, ...patch, updatedAt: Math.max(this.#now(), current.updatedAt) };
        this.sql.updateSummary.run({
          id,
          status: next.status,
          error: next.error,
          result: next.result,
          message_id: next.messageId,
          chunk_count: next.chunkCount,
          context_size: next.contextSize,
          updated_at: next.updatedAt,
        });
        return next;
      })(),
    );
  }

  /** Run once at startup: summaries that were running when Burrow stopped can be resumed. */
  markInterrupted(): number {
    return writing('mark unfinished summaries', () => this.sql.markInterrupted.run().changes);
  }

  parts(summaryId: string): PartRecord[] {
    return this.sql.parts.all(summaryId);
  }

  savePart(summaryId: string, part: PartRecord): void {
    writing('save this summary', () =>
      this.sql.insertPart.run({
        summary_id: summaryId,
        level: part.level,
        seq: part.seq,
        text: part.text,
        first_chunk: part.firstChunk,
        last_chunk: part.lastChunk,
        token_count: part.tokenCount,
      }),
    );
  }

  clearParts(summaryId: string): void {
    writing('save this summary', () => this.sql.deleteParts.run(summaryId));
  }
}

/** The row, or a not_found error with `message` for the user. */
function found<Row>(row: Row | undefined, message: string): Row {
  if (row === undefined) throw new BurrowError('not_found', message);
  return row;
}

function toDocument(row: DocumentRow): DocumentRecord {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    fileName: row.file_name,
    format: row.format,
    title: row.title,
    sizeBytes: row.size_bytes,
    pageCount: row.page_count,
    pagesRead: row.pages_read,
    charCount: row.char_count,
    notices: Notices.parse(JSON.parse(row.notices)),
    createdAt: row.created_at,
  };
}

function toSummary(row: SummaryRow): SummaryRecord {
  return {
    id: row.id,
    documentId: row.document_id,
    style: row.style,
    focus: row.focus,
    status: row.status,
    error: row.error,
    chunkCount: row.chunk_count,
    contextSize: row.context_size,
    result: row.result,
    messageId: row.message_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}
