/** The SQL of ConversationStore, written once: row shapes and prepared statements. */
import type { Database } from 'better-sqlite3';
import type { MessageRole, MessageStatus } from '../../shared/contract';

/** Settings that belong to one conversation (its own model): deleted with it. */
export const CONVERSATION_MODEL_KEY_PREFIX = 'conversations.model:';
export const conversationModelKey = (id: string): string => `${CONVERSATION_MODEL_KEY_PREFIX}${id}`;
/** Its own LoRA adapters (null: the model's defaults). */
export const CONVERSATION_ADAPTERS_KEY_PREFIX = 'conversations.adapters:';
export const conversationAdaptersKey = (id: string): string => `${CONVERSATION_ADAPTERS_KEY_PREFIX}${id}`;
/** Every settings key that belongs to one conversation: deleted with it, everywhere. */
export const conversationSettingKeys = (id: string): string[] => [conversationModelKey(id), conversationAdaptersKey(id)];

export interface ConversationRow {
  id: string;
  title: string;
  created_at: number;
  updated_at: number;
  message_count: number;
  pinned: number;
  active_leaf_id: string | null;
  system_prompt: string | null;
  temperature: number | null;
  top_p: number | null;
  max_tokens: number | null;
}

export interface MessageRow {
  id: string;
  conversation_id: string;
  parent_id: string | null;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  error: string | null;
  created_at: number;
  /** Set when the answer stopped at its token limit: that limit. */
  token_limit: number | null;
}

const CONVERSATION_COLUMNS = `c.id, c.title, c.created_at, c.updated_at, c.pinned, c.active_leaf_id,
  c.system_prompt, c.temperature, c.top_p, c.max_tokens,
  (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count`;
const MESSAGE_COLUMNS = 'id, conversation_id, parent_id, role, content, status, error, created_at, token_limit';
/**
 * A conversation the user has put nothing into: no message, no document, no title, pin or
 * settings of its own. Leaving one deletes it; "New chat" and a dropped file reuse it.
 */
const EMPTY_CONVERSATION = `c.title = @defaultTitle AND c.pinned = 0
  AND c.system_prompt IS NULL AND c.temperature IS NULL AND c.top_p IS NULL AND c.max_tokens IS NULL
  AND NOT EXISTS (SELECT 1 FROM messages m WHERE m.conversation_id = c.id)
  AND NOT EXISTS (SELECT 1 FROM documents d WHERE d.conversation_id = c.id)`;
/*
 * The recursive walks below end in `CROSS JOIN messages`: it fixes the walk as the outer loop, so
 * each step is one primary-key lookup. With a plain JOIN, SQLite's planner (once ANALYZE
 * statistics exist) chose to scan the whole messages table and probe the walk through an
 * automatic index: opening a 40-message conversation took 118 ms at 100 000 messages, and grew
 * with the history (0.9 ms now). test/unit/store/query-plans.test.ts keeps it so.
 */
/** Longest branch walked; parent links cannot form a loop, this only bounds a damaged file. */
export const MAX_DEPTH = 1_000_000;


export function prepareConversationSql(db: Database) {
  return {
    // Pinned first; rowid breaks ties so two conversations touched in the same millisecond keep a stable order.
    list: db.prepare<[], ConversationRow>(
      `SELECT ${CONVERSATION_COLUMNS} FROM conversations c ORDER BY c.pinned DESC, c.updated_at DESC, c.rowid DESC`,
    ),
    getConversation: db.prepare<[string], ConversationRow>(`SELECT ${CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = ?`),
    getMessage: db.prepare<[string], MessageRow>(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = ?`),
    newestMessage: db.prepare<[string], string>('SELECT id FROM messages WHERE conversation_id = ? ORDER BY seq DESC LIMIT 1').pluck(),
    /** Root first. */
    path: db.prepare<{ leaf: string; maxDepth: number }, MessageRow>(
      `WITH RECURSIVE path (id, depth) AS (
         SELECT @leaf, 0
         UNION ALL
         SELECT m.parent_id, path.depth + 1 FROM messages m JOIN path ON m.id = path.id
         WHERE m.parent_id IS NOT NULL AND path.depth < @maxDepth
       )
       SELECT ${MESSAGE_COLUMNS.split(', ').map((column) => `m.${column}`).join(', ')}
       FROM path CROSS JOIN messages m ON m.id = path.id ORDER BY path.depth DESC`,
    ),
    /** Every message's parent in creation order: enough to know each message's siblings. */
    tree: db.prepare<[string], { id: string; parent_id: string | null }>(
      'SELECT id, parent_id FROM messages WHERE conversation_id = ? ORDER BY seq',
    ),
    siblings: db.prepare<[string, string | null], string>(
      'SELECT id FROM messages WHERE conversation_id = ? AND parent_id IS ? ORDER BY seq',
    ).pluck(),
    /** A message's newest descendant (itself if it has none): children are always newer than their parent, so it is a leaf. */
    newestLeafUnder: db.prepare<{ id: string; maxDepth: number }, string>(
      `WITH RECURSIVE below (id, depth) AS (
         SELECT @id, 0
         UNION ALL
         SELECT m.id, below.depth + 1 FROM messages m JOIN below ON m.parent_id = below.id WHERE below.depth < @maxDepth
       )
       SELECT m.id FROM below CROSS JOIN messages m ON m.id = below.id ORDER BY m.seq DESC LIMIT 1`,
    ).pluck(),
    insertConversation: db.prepare<[string, string, number, number]>(
      'INSERT INTO conversations (id, title, created_at, updated_at) VALUES (?, ?, ?, ?)',
    ),
    rename: db.prepare<[string, string]>('UPDATE conversations SET title = ? WHERE id = ?'),
    setPinned: db.prepare<[number, string]>('UPDATE conversations SET pinned = ? WHERE id = ?'),
    setActiveLeaf: db.prepare<[string | null, string]>('UPDATE conversations SET active_leaf_id = ? WHERE id = ?'),
    // max(): a clock that steps backwards must not push an active conversation down the list.
    touch: db.prepare<[number, string]>('UPDATE conversations SET updated_at = max(updated_at, ?) WHERE id = ?'),
    setSettings: db.prepare<[{ id: string; systemPrompt: string | null; temperature: number | null; topP: number | null; maxTokens: number | null }]>(
      `UPDATE conversations SET system_prompt = @systemPrompt, temperature = @temperature, top_p = @topP, max_tokens = @maxTokens
       WHERE id = @id`,
    ),
    isEmpty: db.prepare<[{ id: string; defaultTitle: string }], number>(`SELECT 1 FROM conversations c WHERE c.id = @id AND ${EMPTY_CONVERSATION}`).pluck(),
    deleteIfEmpty: db.prepare<[{ id: string; defaultTitle: string }]>(`DELETE FROM conversations AS c WHERE c.id = @id AND ${EMPTY_CONVERSATION}`),
    documentCount: db.prepare<[string], number>('SELECT count(*) FROM documents WHERE conversation_id = ?').pluck(),
    deleteMessages: db.prepare<[string]>('DELETE FROM messages WHERE conversation_id = ?'),
    deleteConversation: db.prepare<[string]>('DELETE FROM conversations WHERE id = ?'),
    deleteSetting: db.prepare<[string]>('DELETE FROM settings WHERE key = ?'),
    insertMessage: db.prepare<[Omit<MessageRow, 'conversation_id' | 'token_limit'> & { conversationId: string }], MessageRow>(
      `INSERT INTO messages (id, conversation_id, parent_id, seq, role, content, status, error, created_at)
       VALUES (@id, @conversationId, @parent_id,
               (SELECT coalesce(max(seq), 0) + 1 FROM messages WHERE conversation_id = @conversationId),
               @role, @content, @status, @error, @created_at)
       RETURNING ${MESSAGE_COLUMNS}`,
    ),
    updateMessage: db.prepare<[{ id: string; content: string | null; status: string | null; setsError: number; error: string | null; setsTokenLimit: number; tokenLimit: number | null }]>(
      `UPDATE messages SET
         content = coalesce(@content, content),
         status = coalesce(@status, status),
         error = CASE WHEN @setsError THEN @error ELSE error END,
         token_limit = CASE WHEN @setsTokenLimit THEN @tokenLimit ELSE token_limit END
       WHERE id = @id`,
    ),
    markInterrupted: db.prepare<[]>("UPDATE messages SET status = 'interrupted' WHERE status = 'streaming'"),
  };
}
