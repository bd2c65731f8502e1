/**
 * Burrow's archive: every conversation with its whole message tree, as one JSON document.
 * Documented in docs/archive-format.md; `version` changes only when an older Burrow could
 * not read the file correctly (added fields do not change it: readers ignore unknown keys).
 */
import { z } from 'zod';
import { ConversationSettings, MAX_TITLE_CHARS, MessageRole, MessageStatus } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import type { ConversationRecord } from '../store/archive-store';

export const ARCHIVE_FORMAT = 'burrow-archive';
export const ARCHIVE_VERSION = 1;
/** An answer can be longer than what a user may type (MAX_MESSAGE_CHARS); this bounds a hostile file. */
export const MAX_ARCHIVED_MESSAGE_CHARS = 10_000_000;

const EpochMs = z.number().int().nonnegative();
/** Ids inside the file only link messages together; imported messages get new ids. */
const FileId = z.string().min(1).max(200);

export const ArchivedMessage = z.object({
  id: FileId,
  /** null for a first message. Always a message listed earlier in the same conversation. */
  parentId: FileId.nullable(),
  role: MessageRole,
  content: z.string().max(MAX_ARCHIVED_MESSAGE_CHARS),
  status: MessageStatus,
  error: z.string().max(100_000).nullable(),
  createdAt: EpochMs,
  /** A complete answer that stopped at its token limit: that limit. Left out otherwise (and by older versions). */
  tokenLimit: z.number().int().positive().max(1_000_000).optional(),
});
export type ArchivedMessage = z.infer<typeof ArchivedMessage>;

export const ArchivedConversation = z.object({
  id: FileId,
  title: z.string().max(MAX_TITLE_CHARS * 10),
  createdAt: EpochMs,
  updatedAt: EpochMs,
  pinned: z.boolean(),
  settings: ConversationSettings,
  /** The last message of the branch shown in Burrow; null for an empty conversation. */
  activeLeafId: FileId.nullable(),
  /** Every message of every branch, each parent before its children. */
  messages: z.array(ArchivedMessage),
});
export type ArchivedConversation = z.infer<typeof ArchivedConversation>;

export const Archive = z.object({
  format: z.literal(ARCHIVE_FORMAT),
  version: z.literal(ARCHIVE_VERSION),
  /** ISO 8601, UTC. */
  exportedAt: z.string(),
  conversations: z.array(ArchivedConversation),
});
export type Archive = z.infer<typeof Archive>;

export function toArchive(records: readonly ConversationRecord[], exportedAt: number): Archive {
  return {
    format: ARCHIVE_FORMAT,
    version: ARCHIVE_VERSION,
    exportedAt: new Date(exportedAt).toISOString(),
    conversations: records.map((record) => ({
      id: record.key,
      title: record.title,
      createdAt: record.createdAt,
      updatedAt: record.updatedAt,
      pinned: record.pinned,
      settings: record.settings,
      activeLeafId: record.activeLeafKey,
      messages: record.messages.map((message) => ({
        id: message.key,
        parentId: message.parentKey,
        role: message.role,
        content: message.content,
        status: message.status,
        error: message.error,
        createdAt: message.createdAt,
        ...(message.tokenLimit === null ? {} : { tokenLimit: message.tokenLimit }),
      })),
    })),
  };
}

/** Parses a document already known to claim `format: 'burrow-archive'`. */
export function fromArchive(data: unknown): ConversationRecord[] {
  const version = (data as { version?: unknown }).version;
  if (typeof version === 'number' && version > ARCHIVE_VERSION) {
    throw new BurrowError('invalid_input', `This archive was made by a newer version of Burrow (format version ${version}). Update Burrow to import it.`);
  }
  const parsed = Archive.safeParse(data);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue === undefined ? '' : ` at ${issue.path.map(String).join('.')}: ${issue.message}`;
    throw new BurrowError('invalid_input', `This Burrow archive is damaged or incomplete${where}. Nothing was imported.`);
  }
  return parsed.data.conversations.map((conversation) => ({
    key: conversation.id,
    title: conversation.title.slice(0, MAX_TITLE_CHARS) || 'Imported chat',
    createdAt: conversation.createdAt,
    updatedAt: conversation.updatedAt,
    pinned: conversation.pinned,
    settings: conversation.settings,
    activeLeafKey: conversation.activeLeafId,
    messages: conversation.messages.map((message) => ({
      key: message.id,
      parentKey: message.parentId,
      role: message.role,
      content: message.content,
      // Nothing is streaming into an imported message.
      status: message.status === 'streaming' ? 'interrupted' : message.status,
      error: message.error,
      createdAt: message.createdAt,
      // The mark (and Continue) belongs to a complete answer only.
      tokenLimit: message.status === 'complete' && message.role === 'assistant' ? (message.tokenLimit ?? null) : null,
    })),
  }));
}
