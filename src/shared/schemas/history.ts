/**
 * The contract's schemas for search, whole-history import and backups.
 * Pure TypeScript: no Node, Electron or DOM imports.
 */
import { z } from 'zod';
import { Id, Timestamp } from './common';
import { MessageRole } from './conversations';

export const MAX_SEARCH_LIMIT = 200;
/** The largest file history.import takes, in characters of its text (100 MB of ASCII). */
export const MAX_IMPORT_CHARS = 100 * 1024 * 1024;

export const ImportResult = z.strictObject({
  /** What the file turned out to be. */
  format: z.enum(['burrow-archive', 'chatgpt']),
  conversations: z.number().int().nonnegative(),
  messages: z.number().int().nonnegative(),
  /** Conversations in the file that held nothing Burrow can show (no text messages). */
  skipped: z.number().int().nonnegative(),
  /** Conversations already in the history (the same file imported again): not added twice. */
  duplicates: z.number().int().nonnegative(),
});
export type ImportResult = z.infer<typeof ImportResult>;

/** A run of snippet or title text; `match` runs are the words that matched. Plain text, never HTML. */
export const TextSegment = z.strictObject({ text: z.string(), match: z.boolean() });
export type TextSegment = z.infer<typeof TextSegment>;

/** One search hit. `kind` leaves room for document passages next to messages. */
export const SearchHit = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('message'),
    /** To jump there: conversations.switchBranch({ messageId }) shows the branch holding it. */
    messageId: Id,
    role: MessageRole,
    createdAt: Timestamp,
    snippet: z.array(TextSegment),
  }),
  z.strictObject({
    kind: z.literal('passage'),
    /** A passage of a document attached to the group's conversation. */
    documentId: Id,
    fileName: z.string(),
    /** Where in the document, as references are written: `p. 3`, `§ "Costs"`, `part 2`. */
    label: z.string(),
    /** To show it: documents.passage({ documentId, chunkId }). */
    chunkId: z.number().int().nonnegative(),
    /** When the document was added. */
    createdAt: Timestamp,
    snippet: z.array(TextSegment),
  }),
]);
export type SearchHit = z.infer<typeof SearchHit>;

export const SearchGroup = z.strictObject({
  conversationId: Id,
  title: z.string(),
  /** The title with matching words marked (all `match: false` when only messages matched). */
  titleSegments: z.array(TextSegment),
  updatedAt: Timestamp,
  pinned: z.boolean(),
  /** Best first (in the result's order); may be empty when only the title matched. */
  hits: z.array(SearchHit),
});
export type SearchGroup = z.infer<typeof SearchGroup>;

/**
 * 'relevance': ranked by how well they match. 'newest': the words match so much of the
 * history that ranking would be slow, so the newest matches are shown (suggest more words).
 */
export const SearchOrder = z.enum(['relevance', 'newest']);
export type SearchOrder = z.infer<typeof SearchOrder>;

export const SearchResults = z.strictObject({
  query: z.string(),
  /** Conversations whose title matches first, then in the order of their best hit. */
  groups: z.array(SearchGroup),
  order: SearchOrder,
  tookMs: z.number().nonnegative(),
});
export type SearchResults = z.infer<typeof SearchResults>;

/** 'daily': the automatic copy (last 7 kept). 'before-upgrade': taken before a schema upgrade. 'before-restore': the file a restore replaced. */
export const BackupKind = z.enum(['daily', 'before-upgrade', 'before-restore']);
export type BackupKind = z.infer<typeof BackupKind>;

export const BackupName = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be a backup name from history.backups');

export const BackupInfo = z.strictObject({
  /** Pass to history.restoreBackup. */
  name: BackupName,
  kind: BackupKind,
  createdAt: Timestamp,
  sizeBytes: z.number().int().nonnegative(),
});
export type BackupInfo = z.infer<typeof BackupInfo>;

export const StoreStatus = z.strictObject({
  /**
   * Set when this run found the data file damaged (or empty while backups exist): it was
   * renamed to `file` (kept, never deleted) and Burrow started with an empty history. Offer
   * "Restore from backup" (history.restoreBackup) or "Start fresh" (nothing to do).
   */
  quarantined: z
    .strictObject({
      /** The damaged file's new name, in the data folder. */
      file: z.string(),
      reason: z.string(),
      at: Timestamp,
    })
    .nullable(),
  /** Newest first. */
  backups: z.array(BackupInfo),
});
export type StoreStatus = z.infer<typeof StoreStatus>;
