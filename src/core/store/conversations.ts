import { randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { Conversation, ConversationSettings, ConversationView, Message, MessageRole, MessageStatus } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import { conversationSettingKeys, MAX_DEPTH, prepareConversationSql, type ConversationRow, type MessageRow } from './conversation-sql';
import { writing } from './storage-errors';
import { SqlStore, type DatabaseHandle } from './handle';

export const DEFAULT_CONVERSATION_TITLE = 'New chat';

export interface NewMessage {
  conversationId: string;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  /**
   * The message this one answers or follows. Left out: the end of the branch on screen (the
   * active leaf). `null`: a new first message (a sibling of the current first one).
   */
  parentId?: string | null;
}

export interface MessagePatch {
  content?: string;
  status?: MessageStatus;
  /** `null` clears a previous error; leaving it out keeps it. */
  error?: string | null;
  /** The token limit the answer stopped at; `null` clears it, leaving it out keeps it. */
  tokenLimit?: number | null;
}

/** Each field: left out keeps the value, `null` clears it (back to Burrow's default). */
export type ConversationSettingsPatch = { [K in keyof ConversationSettings]?: ConversationSettings[K] };

export interface ConversationStoreOptions {
  /** Millisecond clock. Default `Date.now`. */
  now?: () => number;
}

/** One turn of the history the model sees. */
export interface HistoryTurn {
  role: MessageRole;
  content: string;
}

const conversationGone = (): BurrowError => new BurrowError('not_found', 'This conversation no longer exists.');
const messageGone = (): BurrowError => new BurrowError('not_found', 'This message no longer exists.');

/**
 * Conversations and their messages: the only code that writes those tables. A conversation is
 * a tree of messages (edits and regenerations add siblings); the branch on screen ends at the
 * conversation's active leaf.
 */
export class ConversationStore extends SqlStore<ReturnType<typeof prepareConversationSql>> {
  readonly #clock: () => number;
  #lastTime = 0;

  constructor(db: Database | DatabaseHandle, options: ConversationStoreOptions = {}) {
    super(db, prepareConversationSql);
    this.#clock = options.now ?? Date.now;
  }

  /** Pinned first, then most recently active first. */
  list(): Conversation[] {
    return this.sql.list.all().map(toConversation);
  }

  create(title: string = DEFAULT_CONVERSATION_TITLE): Conversation {
    const id = randomUUID();
    const now = this.#now();
    writing('create the conversation', () => this.sql.insertConversation.run(id, title, now, now));
    return { id, title, createdAt: now, updatedAt: now, messageCount: 0, pinned: false };
  }

  /** The conversation, the branch on screen (root first, each message with its alternatives) and its settings. */
  get(id: string): ConversationView {
    // One read transaction, so the parts cannot disagree with a concurrent writer.
    return this.db.transaction(() => {
      const row = this.sql.getConversation.get(id);
      if (row === undefined) throw conversationGone();
      const leaf = this.#activeLeaf(row);
      const path = leaf === null ? [] : this.sql.path.all({ leaf, maxDepth: MAX_DEPTH });
      const children = new Map<string | null, string[]>();
      for (const node of this.sql.tree.iterate(id)) {
        const list = children.get(node.parent_id);
        if (list === undefined) children.set(node.parent_id, [node.id]);
        else list.push(node.id);
      }
      return {
        conversation: toConversation(row),
        messages: path.map((message) => toMessage(message, children.get(message.parent_id) ?? [message.id])),
        settings: toSettings(row),
      };
    })();
  }

  /** Renaming is housekeeping, not activity, so the conversation keeps its place in the list. */
  rename(id: string, title: string): Conversation {
    return this.#updateConversation(id, 'rename the conversation', () => this.sql.rename.run(title, id).changes);
  }

  setPinned(id: string, pinned: boolean): Conversation {
    return this.#updateConversation(id, 'pin the conversation', () => this.sql.setPinned.run(pinned ? 1 : 0, id).changes);
  }

  /**
   * Deletes the conversation with every message of every branch; the search-index triggers
   * remove their entries in the same transaction, and secure_delete overwrites the freed bytes.
   */
  delete(id: string): void {
    writing('delete the conversation', () =>
      this.db.transaction(() => {
        this.sql.deleteMessages.run(id);
        if (this.sql.deleteConversation.run(id).changes === 0) throw conversationGone();
        for (const key of conversationSettingKeys(id)) this.sql.deleteSetting.run(key);
      })(),
    );
  }

  /** Whether the user has put nothing into it yet (no message, document, title, pin or settings of its own). */
  isEmpty(id: string): boolean {
    return this.sql.isEmpty.get({ id, defaultTitle: DEFAULT_CONVERSATION_TITLE }) === 1;
  }

  /**
   * Deletes the conversation if it is empty (isEmpty), checked and deleted in one statement, so
   * a message or document arriving meanwhile keeps it. False when it was not empty, or is gone.
   */
  deleteIfEmpty(id: string): boolean {
    return writing('delete the empty conversation', () =>
      this.db.transaction(() => {
        if (this.sql.deleteIfEmpty.run({ id, defaultTitle: DEFAULT_CONVERSATION_TITLE }).changes === 0) return false;
        for (const key of conversationSettingKeys(id)) this.sql.deleteSetting.run(key);
        return true;
      })(),
    );
  }

  /**
   * Its first document was just added: a conversation that had nothing else in it (still
   * "New chat", no message, no other document) is named after the document's file.
   */
  nameAfterFirstDocument(id: string, title: string): void {
    writing('name the conversation', () =>
      this.db.transaction(() => {
        const row = this.sql.getConversation.get(id);
        if (row === undefined || row.title !== DEFAULT_CONVERSATION_TITLE || row.message_count > 0 || this.sql.documentCount.get(id) !== 1) return;
        this.sql.rename.run(title, id);
      })(),
    );
  }

  addMessage(message: NewMessage): Message {
    return writing('save this message', () =>
      this.db.transaction(() => {
        const row = this.#insert(message, this.#now());
        return toMessage(row, this.#siblingIds(row));
      })(),
    );
  }

  /**
   * A question and the empty answer that will stream into it, written together so a crash
   * never leaves a question without its answer. `parentId` as in `NewMessage`.
   */
  addExchange(input: { conversationId: string; parentId?: string | null; text: string }): { userMessage: Message; assistantMessage: Message } {
    return writing('save this message', () =>
      this.db.transaction(() => {
        const now = this.#now();
        const user = this.#insert({ conversationId: input.conversationId, parentId: input.parentId, role: 'user', content: input.text, status: 'complete' }, now);
        const assistant = this.#insert({ conversationId: input.conversationId, parentId: user.id, role: 'assistant', content: '', status: 'streaming' }, now);
        return { userMessage: toMessage(user, this.#siblingIds(user)), assistantMessage: toMessage(assistant, [assistant.id]) };
      })(),
    );
  }

  updateMessage(id: string, patch: MessagePatch): void {
    const result = writing('save this message', () =>
      this.sql.updateMessage.run({
        id,
        content: patch.content ?? null,
        status: patch.status ?? null,
        setsError: patch.error === undefined ? 0 : 1,
        error: patch.error ?? null,
        setsTokenLimit: patch.tokenLimit === undefined ? 0 : 1,
        tokenLimit: patch.tokenLimit ?? null,
      }),
    );
    if (result.changes === 0) throw messageGone();
  }

  getMessage(id: string): Message {
    const row = this.sql.getMessage.get(id);
    if (row === undefined) throw messageGone();
    return toMessage(row, this.#siblingIds(row));
  }

  /** The turns from the first message down to `messageId` (included); `null` gives none. */
  historyTo(messageId: string | null): HistoryTurn[] {
    if (messageId === null) return [];
    return this.sql.path.all({ leaf: messageId, maxDepth: MAX_DEPTH }).map((row) => ({ role: row.role, content: row.content }));
  }

  /** The end of the branch on screen, or null for an empty conversation. */
  activeLeafId(conversationId: string): string | null {
    const row = this.sql.getConversation.get(conversationId);
    if (row === undefined) throw conversationGone();
    return this.#activeLeaf(row);
  }

  /** Shows the branch through `messageId`, down to its newest message. */
  switchBranch(messageId: string): ConversationView {
    const conversationId = writing('switch to that version', () =>
      this.db.transaction(() => {
        const message = this.sql.getMessage.get(messageId);
        if (message === undefined) throw messageGone();
        const leaf = this.sql.newestLeafUnder.get({ id: messageId, maxDepth: MAX_DEPTH }) ?? messageId;
        this.sql.setActiveLeaf.run(leaf, message.conversation_id);
        return message.conversation_id;
      })(),
    );
    return this.get(conversationId);
  }

  settings(id: string): ConversationSettings {
    const row = this.sql.getConversation.get(id);
    if (row === undefined) throw conversationGone();
    return toSettings(row);
  }

  setSettings(id: string, patch: ConversationSettingsPatch): ConversationSettings {
    return writing('save these settings', () =>
      this.db.transaction(() => {
        const row = this.sql.getConversation.get(id);
        if (row === undefined) throw conversationGone();
        const next = { ...toSettings(row), ...definedOnly(patch) };
        this.sql.setSettings.run({ id, ...next });
        return next;
      })(),
    );
  }

  /** Run once at startup: a reply that was streaming when Burrow stopped is kept, marked interrupted. */
  markInterrupted(): number {
    return writing('mark unfinished answers', () => this.sql.markInterrupted.run().changes);
  }

  #updateConversation(id: string, action: string, update: () => number): Conversation {
    return writing(action, () =>
      this.db.transaction(() => {
        if (update() === 0) throw conversationGone();
        const row = this.sql.getConversation.get(id);
        if (row === undefined) throw conversationGone();
        return toConversation(row);
      })(),
    );
  }

  /** Inside a transaction: inserts, makes the new message the active leaf, bumps the conversation. */
  #insert(message: NewMessage, now: number): MessageRow {
    const conversation = this.sql.getConversation.get(message.conversationId);
    if (conversation === undefined) throw conversationGone();
    const parentId = message.parentId === undefined ? this.#activeLeaf(conversation) : message.parentId;
    if (parentId !== null && this.sql.getMessage.get(parentId)?.conversation_id !== message.conversationId) throw messageGone();
    const row = this.sql.insertMessage.get({
      id: randomUUID(),
      conversationId: message.conversationId,
      parent_id: parentId,
      role: message.role,
      content: message.content,
      status: message.status,
      error: null,
      created_at: now,
    });
    if (row === undefined) throw new BurrowError('storage_error', 'The message could not be saved.');
    this.sql.setActiveLeaf.run(row.id, message.conversationId);
    this.sql.touch.run(now, message.conversationId);
    return row;
  }

  /** The stored active leaf, or (for a missing or dangling one) the newest message, which is always a leaf. */
  #activeLeaf(row: ConversationRow): string | null {
    if (row.active_leaf_id !== null && this.sql.getMessage.get(row.active_leaf_id)?.conversation_id === row.id) return row.active_leaf_id;
    return this.sql.newestMessage.get(row.id) ?? null;
  }

  #siblingIds(row: MessageRow): string[] {
    return this.sql.siblings.all(row.conversation_id, row.parent_id);
  }

  /** Strictly increasing, so "most recent" never ties within one process even in the same millisecond. */
  #now(): number {
    this.#lastTime = Math.max(this.#clock(), this.#lastTime + 1);
    return this.#lastTime;
  }
}

function definedOnly(patch: ConversationSettingsPatch): Partial<ConversationSettings> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<ConversationSettings>;
}

function toConversation(row: ConversationRow): Conversation {
  return {
    id: row.id,
    title: row.title,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    messageCount: row.message_count,
    pinned: row.pinned === 1,
  };
}

function toSettings(row: ConversationRow): ConversationSettings {
  return { systemPrompt: row.system_prompt, temperature: row.temperature, topP: row.top_p, maxTokens: row.max_tokens };
}

function toMessage(row: MessageRow, siblingIds: string[]): Message {
  return {
    id: row.id,
    conversationId: row.conversation_id,
    parentId: row.parent_id,
    siblingIds,
    role: row.role,
    content: row.content,
    status: row.status,
    error: row.error,
    createdAt: row.created_at,
    tokenLimit: row.token_limit,
  };
}
