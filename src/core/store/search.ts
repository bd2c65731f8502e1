/**
 * Full-text search over message text and conversation titles (the FTS5 indexes of migration 2).
 *
 * Ranking: when a query matches at most RANK_LIMIT rows, hits are ordered by bm25 relevance.
 * Above that, ranking would have to score every match (seconds on a large history), so the
 * search falls back to newest-first, which FTS5 answers by walking its index backwards and
 * stopping after `limit` rows: the cost is bounded by RANK_LIMIT either way.
 *
 * Document passages (the chunks of documents attached to conversations, migration 3's
 * `document_chunks_fts`) are searched the same way and join their conversation's group as
 * `kind: 'passage'` hits, after its message hits.
 */
import { randomBytes } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import type { MessageRole, SearchGroup, SearchHit, SearchOrder, SearchResults, TextSegment } from '../../shared/contract';
import { referenceFor } from './references';
import { matchExpressionFor } from './search-query';
import { SqlStore, type DatabaseHandle } from './handle';
import { withoutWaiting } from './database';
import { SearchQueue } from './search-queue';

/** Above this many matching rows, newest-first instead of relevance. */
export const RANK_LIMIT = 2000;
export const DEFAULT_SEARCH_LIMIT = 50;
/** Conversations whose title matches, at most. */
const TITLE_LIMIT = 20;
/** Document passages, at most. */
const PASSAGE_LIMIT = 20;
/** Words of context in a snippet (FTS5 allows at most 64). */
const SNIPPET_WORDS = 24;

interface FtsRow {
  rowid: number;
  marked: string;
}

interface HitMeta {
  id: string;
  conversation_id: string;
  role: MessageRole;
  created_at: number;
}

interface PassageMeta {
  document_id: string;
  conversation_id: string;
  file_name: string;
  created_at: number;
  seq: number;
  page_start: number | null;
  page_end: number | null;
  section: string | null;
}

interface ConversationMeta {
  id: string;
  title: string;
  updated_at: number;
  pinned: number;
}

type Marked = Statement<[{ match: string; open: string; close: string; limit: number }], FtsRow>;

function prepare(db: Database) {
  const snippet = `snippet(messages_fts, 0, @open, @close, '…', ${SNIPPET_WORDS})`;
  const highlight = 'highlight(conversations_fts, 0, @open, @close)';
  const passageSnippet = `snippet(document_chunks_fts, 0, @open, @close, '…', ${SNIPPET_WORDS})`;
  return {
    messages: {
      countUpTo: db.prepare<[string, number], number>('SELECT count(*) FROM (SELECT 1 FROM messages_fts WHERE messages_fts MATCH ? LIMIT ?)').pluck(),
      ranked: db.prepare(`SELECT rowid, ${snippet} AS marked FROM messages_fts WHERE messages_fts MATCH @match ORDER BY rank LIMIT @limit`) as Marked,
      newest: db.prepare(`SELECT rowid, ${snippet} AS marked FROM messages_fts WHERE messages_fts MATCH @match ORDER BY rowid DESC LIMIT @limit`) as Marked,
    },
    titles: {
      countUpTo: db.prepare<[string, number], number>('SELECT count(*) FROM (SELECT 1 FROM conversations_fts WHERE conversations_fts MATCH ? LIMIT ?)').pluck(),
      ranked: db.prepare(`SELECT rowid, ${highlight} AS marked FROM conversations_fts WHERE conversations_fts MATCH @match ORDER BY rank LIMIT @limit`) as Marked,
      newest: db.prepare(`SELECT rowid, ${highlight} AS marked FROM conversations_fts WHERE conversations_fts MATCH @match ORDER BY rowid DESC LIMIT @limit`) as Marked,
    },
    // Absent in a database opened with fewer migrations (tests of earlier schemas).
    passages: hasTable(db, 'document_chunks_fts')
      ? {
          countUpTo: db.prepare<[string, number], number>('SELECT count(*) FROM (SELECT 1 FROM document_chunks_fts WHERE document_chunks_fts MATCH ? LIMIT ?)').pluck(),
          ranked: db.prepare(`SELECT rowid, ${passageSnippet} AS marked FROM document_chunks_fts WHERE document_chunks_fts MATCH @match ORDER BY rank LIMIT @limit`) as Marked,
          newest: db.prepare(`SELECT rowid, ${passageSnippet} AS marked FROM document_chunks_fts WHERE document_chunks_fts MATCH @match ORDER BY rowid DESC LIMIT @limit`) as Marked,
          meta: db.prepare<[number], PassageMeta>(
            `SELECT c.document_id, d.conversation_id, d.file_name, d.created_at, c.seq, c.page_start, c.page_end, c.section
             FROM document_chunks c JOIN documents d ON d.id = c.document_id WHERE c.id = ?`,
          ),
        }
      : null,
    message: db.prepare<[number], HitMeta>('SELECT id, conversation_id, role, created_at FROM messages WHERE rowid = ?'),
    conversationByRowid: db.prepare<[number], ConversationMeta>('SELECT id, title, updated_at, pinned FROM conversations WHERE rowid = ?'),
    conversation: db.prepare<[string], ConversationMeta>('SELECT id, title, updated_at, pinned FROM conversations WHERE id = ?'),
  };
}

export class SearchIndex extends SqlStore<ReturnType<typeof prepare>> {
  readonly #queue: SearchQueue;

  constructor(db: Database | DatabaseHandle) {
    super(db, prepare);
    this.#queue = new SearchQueue(db);
  }

  search(query: string, limit: number = DEFAULT_SEARCH_LIMIT): SearchResults {
    const started = performance.now();
    const match = matchExpressionFor(query);
    if (match === null) return { query, groups: [], order: 'relevance', tookMs: performance.now() - started };
    this.#indexQueued();
    // Markers no stored text can contain by accident: the snippet comes back as plain text plus these.
    const nonce = randomBytes(6).toString('hex');
    const marks = { open: `\u0001${nonce}[`, close: `]${nonce}\u0001` };

    // One read transaction: hits and the rows they point to come from the same moment.
    const { groups, order } = this.db.transaction(() => {
      const found = new Map<string, SearchGroup>();
      const titleRows = this.#query(this.sql.titles, match, TITLE_LIMIT, marks).rows;
      for (const row of titleRows) {
        const conversation = this.sql.conversationByRowid.get(row.rowid);
        if (conversation === undefined) continue;
        found.set(conversation.id, group(conversation, toSegments(row.marked, marks)));
      }
      const { rows, order } = this.#query(this.sql.messages, match, limit, marks);
      for (const row of rows) {
        const hit = this.sql.message.get(row.rowid);
        if (hit === undefined) continue;
        let target = found.get(hit.conversation_id);
        if (target === undefined) {
          const conversation = this.sql.conversation.get(hit.conversation_id);
          if (conversation === undefined) continue;
          target = group(conversation, [{ text: conversation.title, match: false }]);
          found.set(conversation.id, target);
        }
        target.hits.push(messageHit(hit, toSegments(row.marked, marks)));
      }
      if (this.sql.passages !== null) {
        for (const row of this.#query(this.sql.passages, match, PASSAGE_LIMIT, marks).rows) {
          const meta = this.sql.passages.meta.get(row.rowid);
          if (meta === undefined) continue;
          const label = referenceFor([{ seq: meta.seq, pageStart: meta.page_start, pageEnd: meta.page_end, section: meta.section }]).label;
          let target = found.get(meta.conversation_id);
          if (target === undefined) {
            const conversation = this.sql.conversation.get(meta.conversation_id);
            if (conversation === undefined) continue;
            target = group(conversation, [{ text: conversation.title, match: false }]);
            found.set(conversation.id, target);
          }
          target.hits.push({ kind: 'passage', documentId: meta.document_id, fileName: meta.file_name, label, chunkId: meta.seq, createdAt: meta.created_at, snippet: toSegments(row.marked, marks) });
        }
      }
      return { groups: [...found.values()], order };
    })();
    return { query, groups, order, tookMs: performance.now() - started };
  }

  /**
   * Messages saved since the last quiet moment are still queued for the index (search-queue.ts):
   * index them first, so the search sees every settled message. A database that cannot be
   * written just now (disk full, read-only, another writer) is still searched, without them.
   */
  #indexQueued(): void {
    if (this.db.readonly || this.db.inTransaction) return;
    try {
      withoutWaiting(this.db, () => this.#queue.indexAll());
    } catch (error) {
      console.warn(`[burrow] search: the newest messages could not be indexed first (${error instanceof Error ? error.message : String(error)}); searching without them`);
    }
  }

  /** Relevance order when the match set is small enough to rank, else newest first. */
  #query(
    sql: { countUpTo: Statement<[string, number], number>; ranked: Marked; newest: Marked },
    match: string,
    limit: number,
    marks: { open: string; close: string },
  ): { rows: FtsRow[]; order: SearchOrder } {
    const order: SearchOrder = (sql.countUpTo.get(match, RANK_LIMIT + 1) ?? 0) > RANK_LIMIT ? 'newest' : 'relevance';
    const statement = order === 'relevance' ? sql.ranked : sql.newest;
    return { rows: statement.all({ match, limit, ...marks }), order };
  }
}

function hasTable(db: Database, name: string): boolean {
  return db.prepare('SELECT count(*) FROM sqlite_schema WHERE name = ?').pluck().get(name) === 1;
}

function group(conversation: ConversationMeta, titleSegments: TextSegment[]): SearchGroup {
  return {
    conversationId: conversation.id,
    title: conversation.title,
    titleSegments,
    updatedAt: conversation.updated_at,
    pinned: conversation.pinned === 1,
    hits: [],
  };
}

function messageHit(meta: HitMeta, snippet: TextSegment[]): SearchHit {
  return { kind: 'message', messageId: meta.id, role: meta.role, createdAt: meta.created_at, snippet };
}

/** Splits marked text into plain and matching runs, with whitespace folded for a one-line preview. */
export function toSegments(marked: string, marks: { open: string; close: string }): TextSegment[] {
  const segments: TextSegment[] = [];
  const push = (text: string, match: boolean): void => {
    const folded = text.replace(/\s+/gu, ' ');
    if (folded === '') return;
    const previous = segments.at(-1);
    if (previous !== undefined && previous.match === match) previous.text += folded;
    else segments.push({ text: folded, match });
  };
  let rest = marked;
  for (;;) {
    const start = rest.indexOf(marks.open);
    if (start === -1) {
      push(rest, false);
      break;
    }
    push(rest.slice(0, start), false);
    rest = rest.slice(start + marks.open.length);
    const end = rest.indexOf(marks.close);
    if (end === -1) {
      push(rest, true);
      break;
    }
    push(rest.slice(0, end), true);
    rest = rest.slice(end + marks.close.length);
  }
  return segments;
}
