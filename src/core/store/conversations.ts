import { randomUUID } from 'node:crypto';
import type { Database, Statement } from 'better-sqlite3';
import type { Conversation, Message, MessageRole, MessageStatus } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';

export const DEFAULT_CONVERSATION_TITLE = 'New chat';

export interface NewMessage {
  conversationId: string;
  role: MessageRole;
  content: string;
  status: MessageStatus;
}

export interface MessagePatch {
  content?: string;
  status?: MessageStatus;
  /** `null` clears a previous error; leaving it out keeps it. */
  error?: string | null;
}

export interface ConversationStoreOptions {
  /** Millisecond clock. Default `Date.now`. */
  now?: () => number;
}

interface ConversationRow {
  id: string;
  title: string;
  created_at: number;
  updated_at: number;
  message_count: number;
}

interface MessageRow {
  id: string;
  conversation_id: string;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  error: string | null;
  created_at: number;
}

const CONVERSATION_COLUMNS = `c.id, c.title, c.created_at, c.updated_at,
  (SELECT count(*) FROM messages m WHERE m.conversation_id = c.id) AS message_count`;
const MESSAGE_COLUMNS = 'id, conversation_id, role, content, status, error, created_at';

const conversationGone = (): BurrowError => new BurrowError('not_found', 'This conversation no longer exists.');
const messageGone = (): BurrowError => new BurrowError('not_found', 'This message no longer exists.');

/** Conversations and their messages. The only code that writes those tables. */
export class ConversationStore {
  readonly #db: Database;
  readonly #clock: () => number;
  #lastTime = 0;
  readonly #sql: {
    list: Statement<[], ConversationRow>;
    getConversation: Statement<[string], ConversationRow>;
    listMessages: Statement<[string], MessageRow>;
    getMessage: Statement<[string], MessageRow>;
    insertConversation: Statement<[string, string, number, number]>;
    rename: Statement<[string, string]>;
    touch: Statement<[number, string]>;
    deleteConversation: Statement<[string]>;
    insertMessage: Statement<[NewMessage & { id: string; createdAt: number }], MessageRow>;
    updateMessage: Statement<
      [{ id: string; content: string | null; status: string | null; setsError: number; error: string | null }]
    >;
    markInterrupted: Statement<[]>;
  };

  constructor(db: Database, options: ConversationStoreOptions = {}) {
    this.#db = db;
    this.#clock = options.now ?? Date.now;
    this.#sql = {
      // rowid breaks ties so two conversations touched in the same millisecond keep a stable order.
      list: db.prepare(`SELECT ${CONVERSATION_COLUMNS} FROM conversations c ORDER BY c.updated_at DESC, c.rowid DESC`),
      getConversation: db.prepare(`SELECT ${CONVERSATION_COLUMNS} FROM conversations c WHERE c.id = ?`),
      listMessages: db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE conversation_id = ? ORDER BY seq`),
      getMessage: db.prepare(`SELECT ${MESSAGE_COLUMNS} FROM messages WHERE id = ?`),
      insertConversation: db.prepare(
        'INSERT INTO conversations (id, title, created_at, updated_at) VALUES (?, ?, ?, ?)',
      ),
      rename: db.prepare('UPDATE conversations SET title = ? WHERE id = ?'),
      // max(): a clock that steps backwards must not push an active conversation down the list.
      touch: db.prepare('UPDATE conversations SET updated_at = max(updated_at, ?) WHERE id = ?'),
      deleteConversation: db.prepare('DELETE FROM conversations WHERE id = ?'),
      insertMessage: db.prepare(
        `INSERT INTO messages (id, conversation_id, seq, role, content, status, error, created_at)
         VALUES (@id, @conversationId,
                 (SELECT coalesce(max(seq), 0) + 1 FROM messages WHERE conversation_id = @conversationId),
                 @role, @content, @status, NULL, @createdAt)
         RETURNING ${MESSAGE_COLUMNS}`,
      ),
      updateMessage: db.prepare(
        `UPDATE messages SET
           content = coalesce(@content, content),
           status = coalesce(@status, status),
           error = CASE WHEN @setsError THEN @error ELSE error END
         WHERE id = @id`,
      ),
      markInterrupted: db.prepare("UPDATE messages SET status = 'interrupted' WHERE status = 'streaming'"),
    };
  }

  /** Most recently active first. */
  list(): Conversation[] {
    return this.#sql.list.all().map(toConversation);
  }

  create(title: string = DEFAULT_CONVERSATION_TITLE): Conversation {
    const id = randomUUID();
    const now = this.#now();
    this.#sql.insertConversation.run(id, title, now, now);
    return { id, title, createdAt: now, updatedAt: now, messageCount: 0 };
  }

  get(id: string): { conversation: Conversation; messages: Message[] } {
    // One read transaction, so the count and the list cannot disagree with a concurrent writer.
    return this.#db.transaction(() => {
      const row = this.#sql.getConversation.get(id);
      if (row === undefined) throw conversationGone();
      return { conversation: toConversation(row), messages: this.#sql.listMessages.all(id).map(toMessage) };
    })();
  }

  /** Renaming is housekeeping, not activity, so the conversation keeps its place in the list. */
  rename(id: string, title: string): Conversation {
    return this.#db.transaction(() => {
      if (this.#sql.rename.run(title, id).changes === 0) throw conversationGone();
      const row = this.#sql.getConversation.get(id);
      if (row === undefined) throw conversationGone();
      return toConversation(row);
    })();
  }

  /** Its messages go too (ON DELETE CASCADE); secure_delete overwrites their text on disk. */
  delete(id: string): void {
    if (this.#sql.deleteConversation.run(id).changes === 0) throw conversationGone();
  }

  addMessage(message: NewMessage): Message {
    return this.#db.transaction(() => {
      const now = this.#now();
      if (this.#sql.touch.run(now, message.conversationId).changes === 0) throw conversationGone();
      const row = this.#sql.insertMessage.get({
        id: randomUUID(),
        conversationId: message.conversationId,
        role: message.role,
        content: message.content,
        status: message.status,
        createdAt: now,
      });
      if (row === undefined) throw new BurrowError('storage_error', 'The message could not be saved.');
      return toMessage(row);
    })();
  }

  updateMessage(id: string, patch: MessagePatch): void {
    const result = this.#sql.updateMessage.run({
      id,
      content: patch.content ?? null,
      status: patch.status ?? null,
      setsError: patch.error === undefined ? 0 : 1,
      error: patch.error ?? null,
    });
    if (result.changes === 0) throw messageGone();
  }

  getMessage(id: string): Message {
    const row = this.#sql.getMessage.get(id);
    if (row === undefined) throw messageGone();
    return toMessage(row);
  }

  /** Run once at startup: a reply that was streaming when Burrow stopped is kept, marked interrupted. */
  markInterrupted(): number {
    return this.#sql.markInterrupted.run().changes;
  }

  /** Strictly increasing, so "most recent" never ties within one process even in the same millisecond. */
  #now(): number {
    this.#lastTime = Math.max(this.#clock(), this.#lastTime + 1);
    return this.#lastTime;
  }
}

function toConversation(row: ConversationRow): Conversation {
  return {
    id: row.id,
    title: row.title,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    messageCount: row.message_count,
  };
}

function toMessage(row: MessageRow): Message {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    role: row.role,
    content: row.content,
    status: row.status,
    error: row.error,
    createdAt: row.created_at,
  };
}
