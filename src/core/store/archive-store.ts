import { createHash, randomUUID } from 'node:crypto';
import type { Database } from 'better-sqlite3';
import type { ConversationSettings, MessageRole, MessageStatus } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import type { ConversationRow as StoredConversationRow, MessageRow as StoredMessageRow } from './conversation-sql';
import { writing } from './storage-errors';
import { SearchQueue } from './search-queue';
import { SqlStore, type DatabaseHandle } from './handle';

/** A message as exports carry it and imports deliver it; `key` is its id inside the file. */
export interface MessageRecord {
  key: string;
  parentKey: string | null;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  error: string | null;
  createdAt: number;
  /** The token limit a complete answer stopped at ("Stopped at the 1,024-token limit"), else null. */
  tokenLimit: number | null;
}

/** A whole conversation tree. `messages` lists every parent before its children. */
export interface ConversationRecord {
  key: string;
  title: string;
  createdAt: number;
  updatedAt: number;
  pinned: boolean;
  settings: ConversationSettings;
  /** The last message of the branch on screen. */
  activeLeafKey: string | null;
  messages: MessageRecord[];
}

/** The rows an export reads: a conversation without its count, a message without its conversation. */
type ConversationRow = Omit<StoredConversationRow, 'message_count'>;
type MessageRow = Omit<StoredMessageRow, 'conversation_id'>;

const CONVERSATION_COLUMNS = 'id, title, created_at, updated_at, pinned, active_leaf_id, system_prompt, temperature, top_p, max_tokens';

function prepare(db: Database) {
  return {
    conversation: db.prepare<[string], ConversationRow>(`SELECT ${CONVERSATION_COLUMNS} FROM conversations WHERE id = ?`),
    conversations: db.prepare<[], ConversationRow>(`SELECT ${CONVERSATION_COLUMNS} FROM conversations ORDER BY created_at, rowid`),
    // seq is creation order, so parents come before their children.
    messages: db.prepare<[string], MessageRow>(
      'SELECT id, parent_id, role, content, status, error, created_at, token_limit FROM messages WHERE conversation_id = ? ORDER BY seq',
    ),
    insertConversation: db.prepare<[{ id: string; title: string; createdAt: number; updatedAt: number; pinned: number; systemPrompt: string | null; temperature: number | null; topP: number | null; maxTokens: number | null }]>(
      `INSERT INTO conversations (id, title, created_at, updated_at, pinned, system_prompt, temperature, top_p, max_tokens)
       VALUES (@id, @title, @createdAt, @updatedAt, @pinned, @systemPrompt, @temperature, @topP, @maxTokens)`,
    ),
    insertMessage: db.prepare<[{ id: string; conversationId: string; parentId: string | null; seq: number; role: string; content: string; status: string; error: string | null; createdAt: number; tokenLimit: number | null }]>(
      `INSERT INTO messages (id, conversation_id, parent_id, seq, role, content, status, error, created_at, token_limit)
       VALUES (@id, @conversationId, @parentId, @seq, @role, @content, @status, @error, @createdAt, @tokenLimit)`,
    ),
    setActiveLeaf: db.prepare<[string | null, string]>('UPDATE conversations SET active_leaf_id = ? WHERE id = ?'),
    starts: db.prepare<[], { id: string; title: string; created_at: number }>('SELECT id, title, created_at FROM conversations'),
  };
}

/** Reads whole conversation trees for export and writes imported ones, each import in one transaction. */
export class ArchiveStore extends SqlStore<ReturnType<typeof prepare>> {
  readonly #searchQueue: SearchQueue;

  constructor(db: Database | DatabaseHandle) {
    super(db, prepare);
    this.#searchQueue = new SearchQueue(db);
  }

  read(conversationId: string): ConversationRecord {
    return this.db.transaction(() => {
      const row = this.sql.conversation.get(conversationId);
      if (row === undefined) throw new BurrowError('not_found', 'This conversation no longer exists.');
      return this.#record(row);
    })();
  }

  /** Every conversation, oldest first, read in one transaction so the archive is one consistent moment. */
  readAll(): ConversationRecord[] {
    return this.db.transaction(() => this.sql.conversations.all().map((row) => this.#record(row)))();
  }

  /**
   * Adds the conversations under new ids, all or nothing: a failure (a message whose parent is
   * not before it, a full disk, the process killed) leaves the database as it was. A
   * conversation already here (same title, start and messages: the same file imported twice)
   * is not added again, and counted in `duplicates`.
   */
  insertAll(records: readonly ConversationRecord[]): { conversationIds: string[]; messages: number; duplicates: number } {
    return writing('import these conversations', () =>
      this.db.transaction(() => {
        const conversationIds: string[] = [];
        let messages = 0;
        let duplicates = 0;
        const seen = new Set<string>();
        const here = this.#byStart();
        for (const record of records) {
          const print = fingerprint(record);
          if (seen.has(print) || this.#alreadyHere(here, record, print)) {
            duplicates++;
            continue;
          }
          seen.add(print);
          const id = randomUUID();
          this.sql.insertConversation.run({
            id,
            title: record.title,
            createdAt: record.createdAt,
            updatedAt: record.updatedAt,
            pinned: record.pinned ? 1 : 0,
            ...record.settings,
          });
          const ids = new Map<string, string>();
          let newest: string | null = null;
          record.messages.forEach((message, index) => {
            if (ids.has(message.key)) throw invalid(`message "${message.key}" appears twice in "${record.title}"`);
            const parentId = message.parentKey === null ? null : ids.get(message.parentKey);
            if (parentId === undefined) throw invalid(`a message in "${record.title}" answers one that is not before it`);
            const messageId = randomUUID();
            this.sql.insertMessage.run({ id: messageId, conversationId: id, parentId, seq: index + 1, role: message.role, content: message.content, status: message.status, error: message.error, createdAt: message.createdAt, tokenLimit: message.tokenLimit });
            ids.set(message.key, messageId);
            newest = messageId;
          });
          const leaf = record.activeLeafKey === null ? newest : (ids.get(record.activeLeafKey) ?? newest);
          this.sql.setActiveLeaf.run(leaf, id);
          conversationIds.push(id);
          messages += record.messages.length;
        }
        // Searchable when the import ends, in the same commit: not thousands of queued messages
        // for the first search to index (search-queue.ts).
        this.#searchQueue.indexAll();
        return { conversationIds, messages, duplicates };
      }).immediate(),
    );
  }

  /** The conversations here by title and start: only those with an imported one's are read and compared (usually none). */
  #byStart(): Map<string, string[]> {
    const byStart = new Map<string, string[]>();
    for (const row of this.sql.starts.all()) {
      const key = startKey(row.title, row.created_at);
      byStart.set(key, [...(byStart.get(key) ?? []), row.id]);
    }
    return byStart;
  }

  #alreadyHere(here: Map<string, string[]>, record: ConversationRecord, print: string): boolean {
    return (here.get(startKey(record.title, record.createdAt)) ?? []).some((id) => fingerprint(this.read(id)) === print);
  }

  #record(row: ConversationRow): ConversationRecord {
    const messages = this.sql.messages.all(row.id).map(
      (message): MessageRecord => ({
        key: message.id,
        parentKey: message.parent_id,
        role: message.role,
        content: message.content,
        status: message.status,
        error: message.error,
        createdAt: message.created_at,
        tokenLimit: message.token_limit,
      }),
    );
    const leafKnown = row.active_leaf_id !== null && messages.some((message) => message.key === row.active_leaf_id);
    return {
      key: row.id,
      title: row.title,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      pinned: row.pinned === 1,
      settings: { systemPrompt: row.system_prompt, temperature: row.temperature, topP: row.top_p, maxTokens: row.max_tokens },
      activeLeafKey: leafKnown ? row.active_leaf_id : (messages.at(-1)?.key ?? null),
      messages,
    };
  }
}

function invalid(detail: string): BurrowError {
  return new BurrowError('invalid_input', `This file cannot be imported: ${detail}. Nothing was imported.`);
}

function startKey(title: string, createdAt: number): string {
  return `${createdAt}\u0000${title}`;
}

/** What makes two conversations the same one: title, start, and every message's place, role, text and time. */
function fingerprint(record: ConversationRecord): string {
  const keys = new Map(record.messages.map((message, index) => [message.key, index]));
  const messages = record.messages.map((message) => [message.parentKey === null ? -1 : (keys.get(message.parentKey) ?? -2), message.role, message.content, message.createdAt]);
  return createHash('sha256').update(JSON.stringify([record.title, record.createdAt, messages])).digest('hex');
}
