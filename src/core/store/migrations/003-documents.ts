import type { Database } from 'better-sqlite3';
import type { Migration } from './index';

/**
 * Documents attached to conversations, their text, the chunks a model summarises and searches,
 * and summaries with every partial result (so a summary resumes where it stopped).
 *
 * - Everything hangs off `documents.conversation_id` with ON DELETE CASCADE: deleting a
 *   conversation deletes its documents, their text, chunks, search entries and summaries.
 * - `document_units` is the extracted text as read (a PDF page, a section, a chapter) with its
 *   sentence breaks: what a reference shows, and what chunks are cut from.
 * - `document_chunks` are cut for one model's context (`context_size`) and re-cut when a model
 *   with a smaller context needs them; `document_chunks_fts` indexes them for follow-up questions
 *   (external content, kept in step by triggers, secure-delete so deleted text leaves the index).
 *   Chunks have an INTEGER PRIMARY KEY, so the index's rowids survive VACUUM (an implicit rowid
 *   may be renumbered, which would point the index at the wrong chunks after a restore).
 * - `document_summary_parts`: level 0 holds one summary per chunk, level n+1 combines runs of
 *   level n; the top level's single part is the summary.
 */
export const documents: Migration = {
  version: 3,
  up(db: Database): void {
    db.exec(`
      CREATE TABLE documents (
        id TEXT PRIMARY KEY NOT NULL,
        conversation_id TEXT NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
        file_name TEXT NOT NULL,
        format TEXT NOT NULL CHECK (format IN ('pdf', 'docx', 'epub', 'html', 'markdown', 'text')),
        title TEXT,
        size_bytes INTEGER NOT NULL,
        page_count INTEGER,
        pages_read INTEGER,
        char_count INTEGER NOT NULL,
        notices TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX documents_by_conversation ON documents (conversation_id, created_at);

      CREATE TABLE document_units (
        document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        page INTEGER,
        section TEXT,
        text TEXT NOT NULL,
        breaks TEXT NOT NULL,
        PRIMARY KEY (document_id, seq)
      ) STRICT;

      CREATE TABLE document_chunks (
        id INTEGER PRIMARY KEY,
        document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,
        text TEXT NOT NULL,
        page_start INTEGER,
        page_end INTEGER,
        section TEXT,
        token_count INTEGER NOT NULL,
        context_size INTEGER NOT NULL,
        UNIQUE (document_id, seq)
      ) STRICT;

      CREATE VIRTUAL TABLE document_chunks_fts USING fts5 (
        text, content = 'document_chunks', content_rowid = 'id',
        tokenize = 'unicode61 remove_diacritics 2'
      );
      INSERT INTO document_chunks_fts (document_chunks_fts, rank) VALUES ('secure-delete', 1);
      CREATE TRIGGER document_chunks_fts_after_insert AFTER INSERT ON document_chunks BEGIN
        INSERT INTO document_chunks_fts (rowid, text) VALUES (new.id, new.text);
      END;
      CREATE TRIGGER document_chunks_fts_after_delete AFTER DELETE ON document_chunks BEGIN
        INSERT INTO document_chunks_fts (document_chunks_fts, rowid, text) VALUES ('delete', old.id, old.text);
      END;

      CREATE TABLE document_summaries (
        id TEXT PRIMARY KEY NOT NULL,
        document_id TEXT NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
        style TEXT NOT NULL CHECK (style IN ('brief', 'key-points', 'outline')),
        focus TEXT,
        status TEXT NOT NULL CHECK (status IN ('running', 'interrupted', 'cancelled', 'done', 'error')),
        error TEXT,
        chunk_count INTEGER NOT NULL,
        context_size INTEGER NOT NULL,
        result TEXT,
        message_id TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      ) STRICT;
      CREATE INDEX document_summaries_by_document ON document_summaries (document_id, created_at);

      CREATE TABLE document_summary_parts (
        summary_id TEXT NOT NULL REFERENCES document_summaries (id) ON DELETE CASCADE,
        level INTEGER NOT NULL,
        seq INTEGER NOT NULL,
        text TEXT NOT NULL,
        first_chunk INTEGER NOT NULL,
        last_chunk INTEGER NOT NULL,
        token_count INTEGER NOT NULL,
        PRIMARY KEY (summary_id, level, seq)
      ) STRICT;
    `);
  },
};
