/**
 * The one description of everything the UI can ask (`procedures`) and everything it can
 * be told (`events`). Types are derived from these schemas and never written twice.
 * Pure TypeScript: no Node, Electron or DOM imports.
 */
import { z } from 'zod';
import type { Result } from './errors';
import { MAX_MESSAGE_CHARS, MAX_PATH_CHARS, MAX_SEARCH_QUERY_CHARS, MAX_SUMMARY_FOCUS_CHARS, MAX_SYSTEM_PROMPT_CHARS, MAX_TITLE_CHARS } from './limits';
import {
  MAX_CONTEXT_OVERRIDE,
  MAX_GPU_LAYERS_OVERRIDE,
  MAX_IDLE_UNLOAD_MINUTES,
  MAX_IMPORT_CHUNK_BYTES,
  MAX_IMPORT_FILE_BYTES,
  MIN_CONTEXT_OVERRIDE,
} from './limits';
import { AppSettings, DataFolder, QuickDismissed, SettingsPatch, SettingsStatus, UiCommand } from './settings-contract';

export * from './settings-contract';

// ── building blocks ────────────────────────────────────────────────────────────────────

export const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be an id (letters, digits, - and _)');

/** Millisecond Unix timestamp. */
const Timestamp = z.number().int().nonnegative();

export { MAX_MESSAGE_CHARS, MAX_PATH_CHARS, MAX_SEARCH_QUERY_CHARS, MAX_SYSTEM_PROMPT_CHARS, MAX_TITLE_CHARS };

const Title = z.string().trim().min(1, 'must not be empty').max(MAX_TITLE_CHARS);

export const Conversation = z.strictObject({
  id: Id,
  title: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  /** Every stored message, all branches included. */
  messageCount: z.number().int().nonnegative(),
  /** Pinned conversations come first in conversations.list. */
  pinned: z.boolean(),
});
export type Conversation = z.infer<typeof Conversation>;

export const MessageRole = z.enum(['user', 'assistant']);
export type MessageRole = z.infer<typeof MessageRole>;

/**
 * `streaming`: an answer being written now. `interrupted`: it was streaming when the app or
 * the engine stopped. `cancelled`: the user pressed stop. `error`: generation failed.
 */
export const MessageStatus = z.enum(['complete', 'streaming', 'cancelled', 'error', 'interrupted']);
export type MessageStatus = z.infer<typeof MessageStatus>;

export const Message = z.strictObject({
  id: Id,
  conversationId: Id,
  /** The message this one follows (an answer's question); null for a first message. */
  parentId: Id.nullable(),
  /**
   * The alternatives at this point of the conversation (edits of a question, regenerated
   * answers), itself included, oldest first: "2 / 3" is indexOf(id) + 1 of length.
   * Switch with conversations.switchBranch.
   */
  siblingIds: z.array(Id),
  role: MessageRole,
  content: z.string(),
  status: MessageStatus,
  error: z.string().nullable(),
  createdAt: Timestamp,
});
export type Message = z.infer<typeof Message>;

export const ModelInfo = z.strictObject({
  path: z.string(),
  name: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  contextSize: z.number().int().nonnegative(),
  /** 'metal' | 'cuda' | 'vulkan' | 'cpu' */
  backend: z.string(),
  threads: z.number().int().nonnegative(),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

export const EngineState = z.enum(['idle', 'starting', 'loading', 'ready', 'generating', 'stopped', 'error']);
export type EngineState = z.infer<typeof EngineState>;

export const ErrorValueSchema = z.strictObject({ code: z.string(), message: z.string() });

export const EngineStatus = z.strictObject({
  state: EngineState,
  model: ModelInfo.nullable(),
  /** Set when state is 'stopped' (the engine process died) or 'error'. */
  error: ErrorValueSchema.nullable(),
});
export type EngineStatus = z.infer<typeof EngineStatus>;

export const GenerationEndReason = z.enum(['done', 'cancelled', 'error']);
export type GenerationEndReason = z.infer<typeof GenerationEndReason>;

export const GenerationStats = z.strictObject({
  /** Prompt tokens llama.cpp actually evaluated for this turn (reused KV cache is not counted). */
  evaluatedTokens: z.number().int().nonnegative(),
  generatedTokens: z.number().int().nonnegative(),
  durationMs: z.number().nonnegative(),
  /**
   * Earlier messages of the branch that did not fit in the model's context for this answer and
   * were left out or shortened (strategy 'keep-system-and-newest': the system prompt and the
   * newest messages are kept). 0 when everything fitted.
   */
  truncatedMessages: z.number().int().nonnegative(),
});
export type GenerationStats = z.infer<typeof GenerationStats>;

// ── history: branches, settings, search, export/import, backups ───────────────────────

export const MAX_SEARCH_LIMIT = 200;
/** The largest file history.import takes, in characters of its text (100 MB of ASCII). */
export const MAX_IMPORT_CHARS = 100 * 1024 * 1024;

/** Per-conversation overrides of the engine's defaults; null means "Burrow's default". */
export const ConversationSettings = z.strictObject({
  systemPrompt: z.string().max(MAX_SYSTEM_PROMPT_CHARS).nullable(),
  temperature: z.number().min(0).max(2).nullable(),
  topP: z.number().min(0).max(1).nullable(),
  maxTokens: z.number().int().min(1).max(32_768).nullable(),
});
export type ConversationSettings = z.infer<typeof ConversationSettings>;

/** A conversation as the chat view shows it. */
export const ConversationView = z.strictObject({
  conversation: Conversation,
  /** The active branch, first message first; its last message is the active leaf. */
  messages: z.array(Message),
  settings: ConversationSettings,
});
export type ConversationView = z.infer<typeof ConversationView>;

/** What chat.send, chat.edit and chat.regenerate return at once (the answer then streams). */
export const ChatStarted = z.strictObject({
  generationId: Id,
  /** The question: new for send and edit, the existing one for regenerate. */
  userMessage: Message,
  /** The empty answer (status 'streaming') that generation.delta events fill. */
  assistantMessage: Message,
});
export type ChatStarted = z.infer<typeof ChatStarted>;

/** What Burrow does when a conversation outgrows the model's context. */
export const ContextStrategy = z.enum(['keep-system-and-newest']);
export type ContextStrategy = z.infer<typeof ContextStrategy>;

export const ContextUsage = z.strictObject({
  /** Tokens the active branch (with the system prompt and chat template) takes; null when unknown. */
  usedTokens: z.number().int().nonnegative().nullable(),
  /** The loaded model's context size; null when no model is loaded. */
  contextSize: z.number().int().positive().nullable(),
  /** The branch no longer fits: older messages will be left out (see strategy). */
  overflow: z.boolean(),
  strategy: ContextStrategy,
  /** Why the numbers are null ("No model is loaded…"), else null. */
  reason: z.string().nullable(),
});
export type ContextUsage = z.infer<typeof ContextUsage>;

export const ExportFormat = z.enum(['markdown', 'json']);
export type ExportFormat = z.infer<typeof ExportFormat>;

/** A file for the UI to save (or the CLI to write). */
export const ExportedFile = z.strictObject({
  /** A suggested name, safe on every platform, e.g. "Rabbit facts.md". */
  fileName: z.string(),
  mimeType: z.string(),
  content: z.string(),
});
export type ExportedFile = z.infer<typeof ExportedFile>;

export const ImportResult = z.strictObject({
  /** What the file turned out to be. */
  format: z.enum(['burrow-archive', 'chatgpt']),
  conversations: z.number().int().nonnegative(),
  messages: z.number().int().nonnegative(),
  /** Conversations in the file that held nothing Burrow can show (no text messages). */
  skipped: z.number().int().nonnegative(),
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

// ── model catalog, downloads and the network log ──────────────────────────────────────

/** A catalog entry's id, e.g. "tinyllama-1.1b-chat-q4_k_m". */
export const CatalogId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be a catalog id (lower-case letters, digits, ., _ and -)');

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 (64 lower-case hex digits)');

/** One model Burrow offers to download (data/model-catalog.json). */
export const CatalogEntry = z.strictObject({
  id: CatalogId,
  name: z.string().min(1).max(200),
  description: z.string().max(1000),
  /** Hugging Face repository, "owner/name". */
  repo: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be owner/name'),
  /** The pinned commit (40 hex digits); "main" only while a commit is unverified. */
  revision: z.string().regex(/^([0-9a-f]{40}|main)$/, 'must be a commit hash'),
  file: z.string().max(200).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\.gguf$/, 'must be a .gguf file name'),
  sizeBytes: z.number().int().positive(),
  /** null when unknown: the SHA-256 the host reports for the pinned revision is used instead. */
  sha256: Sha256Hex.nullable(),
  licence: z.string().min(1).max(200),
  licenceUrl: z.url(),
  /** e.g. "1.1B". */
  parameters: z.string().max(20),
  /** e.g. "Q4_K_M". */
  quantisation: z.string().max(20),
  /** Approximate memory needed to run it with its default context. */
  ramBytes: z.number().int().positive(),
  contextLength: z.number().int().positive(),
  /** The one offered first to a new user. */
  recommended: z.boolean(),
});
export type CatalogEntry = z.infer<typeof CatalogEntry>;

export const DownloadState = z.enum(['queued', 'downloading', 'paused', 'verifying', 'done', 'failed', 'cancelled']);
export type DownloadState = z.infer<typeof DownloadState>;

/** Where the SHA-256 a download is checked against came from. 'none': a URL pulled without --sha256. */
export const Sha256Source = z.enum(['pinned', 'host', 'user', 'none']);
export type Sha256Source = z.infer<typeof Sha256Source>;

export const DownloadStatus = z.strictObject({
  downloadId: Id,
  /** null for a URL pulled from the command line. */
  catalogId: CatalogId.nullable(),
  name: z.string(),
  file: z.string(),
  state: DownloadState,
  bytesDone: z.number().int().nonnegative(),
  totalBytes: z.number().int().positive().nullable(),
  /** 0–100, null while the size is unknown. */
  percent: z.number().min(0).max(100).nullable(),
  /** Smoothed; null when not downloading. */
  bytesPerSecond: z.number().nonnegative().nullable(),
  secondsLeft: z.number().nonnegative().nullable(),
  /** Attempts made in the current run (retries after network errors and stalls). */
  attempt: z.number().int().nonnegative(),
  /** The expected SHA-256 (or, with source 'none', the one computed once done). */
  sha256: Sha256Hex.nullable(),
  sha256Source: Sha256Source,
  /** True when resume continues from the bytes already downloaded. */
  canResume: z.boolean(),
  /** The model file, once done. */
  path: z.string().nullable(),
  /** Why it failed; while retrying, what went wrong with the last attempt. */
  error: ErrorValueSchema.nullable(),
});
export type DownloadStatus = z.infer<typeof DownloadStatus>;

/** One outbound request Burrow tried, allowed or blocked (the in-app network log). */
export const NetworkAttempt = z.strictObject({
  at: Timestamp,
  /** Scheme, host and path only: never the query, which may carry signed tokens. */
  url: z.string(),
  reason: z.string(),
  allowed: z.boolean(),
  blockedBecause: z.string().optional(),
});
export type NetworkAttempt = z.infer<typeof NetworkAttempt>;

const DownloadRef = z.strictObject({ downloadId: Id });

const Empty = z.strictObject({});

// ── model library: files, facts, memory, hardware, imports ────────────────────────────

const ModelPath = z.string().min(1).max(MAX_PATH_CHARS);

/**
 * Where a model file came from. 'download': Burrow's catalog. 'import': dropped on the window
 * and copied into the models folder. 'disk': opened where it lies (never copied or deleted).
 * 'folder': found in the models folder, put there by hand.
 */
export const ModelSource = z.enum(['download', 'import', 'disk', 'folder']);
export type ModelSource = z.infer<typeof ModelSource>;

/** What the file says about itself (read by the bounded GGUF validator, never by llama.cpp). */
export const ModelFacts = z.strictObject({
  /** general.architecture, e.g. "llama". */
  architecture: z.string(),
  parameterCount: z.number().int().nonnegative(),
  /** e.g. "Q4_K_M". */
  quantisation: z.string(),
  /** The context the model was trained with, in tokens. */
  contextLength: z.number().int().nonnegative().nullable(),
  layerCount: z.number().int().nonnegative().nullable(),
  hasChatTemplate: z.boolean(),
});
export type ModelFacts = z.infer<typeof ModelFacts>;

/** Per-model load settings; null means "Burrow decides" (all layers that fit; the default context). */
export const ModelOverrides = z.strictObject({
  gpuLayers: z.number().int().min(0).max(MAX_GPU_LAYERS_OVERRIDE).nullable(),
  contextSize: z.number().int().min(MIN_CONTEXT_OVERRIDE).max(MAX_CONTEXT_OVERRIDE).nullable(),
});
export type ModelOverrides = z.infer<typeof ModelOverrides>;

export const LibraryModel = z.strictObject({
  path: z.string(),
  fileName: z.string(),
  /** general.name, else the file name without .gguf. */
  name: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  modifiedAt: Timestamp,
  source: ModelSource,
  /** The catalog entry it was downloaded from, when known. */
  catalogId: CatalogId.nullable(),
  /** In Burrow's models folder: models.delete may remove it. Files elsewhere are only forgotten, never deleted. */
  inModelsFolder: z.boolean(),
  /** null when the file is not a valid model (see `problem`). */
  facts: ModelFacts.nullable(),
  /** Why the file cannot be loaded (the validator's verdict), else null. */
  problem: z.string().nullable(),
  /** The model loaded at start and for conversations without their own choice. */
  isDefault: z.boolean(),
  isLoaded: z.boolean(),
  overrides: ModelOverrides,
});
export type LibraryModel = z.infer<typeof LibraryModel>;

export const ModelLibrary = z.strictObject({
  /** Loaded first, then the default, then by name. */
  models: z.array(LibraryModel),
  /** Where downloaded and imported models are kept. */
  modelsFolder: z.string(),
  /** The host can show a file in the system's file manager (the app can; the browser host cannot). */
  canReveal: z.boolean(),
  /** "Unload when idle": minutes without activity before the model is unloaded; null: never. */
  idleUnloadMinutes: z.number().positive().max(MAX_IDLE_UNLOAD_MINUTES).nullable(),
});
export type ModelLibrary = z.infer<typeof ModelLibrary>;

/** What loading a model would take, against what the machine has (computed in the engine process). */
export const MemoryEstimate = z.strictObject({
  path: z.string(),
  /** The context size (tokens per conversation) the estimate is for: the one a load would use. */
  contextSize: z.number().int().positive(),
  /** Model weights, in RAM and VRAM together. */
  weightsBytes: z.number().nonnegative(),
  /** KV cache and compute buffers for `contextSize`, for every conversation kept at once. */
  kvCacheBytes: z.number().nonnegative(),
  totalBytes: z.number().nonnegative(),
  /** Free memory now, counting the memory the loaded model would give back. */
  freeRamBytes: z.number().nonnegative(),
  totalRamBytes: z.number().nonnegative(),
  /** Layers that fit in the GPU's free memory (all of them when it all fits); null without a GPU. */
  gpuLayersThatFit: z.number().int().nonnegative().nullable(),
  /** Layers the model has (null when it does not say). */
  layerCount: z.number().int().nonnegative().nullable(),
  fits: z.boolean(),
  /** Plain-language warning: it will not fit, or it fits only with a smaller context or fewer GPU layers. */
  warning: z.string().nullable(),
});
export type MemoryEstimate = z.infer<typeof MemoryEstimate>;

export const HardwareReport = z.strictObject({
  /** 'metal' | 'cuda' | 'vulkan' | 'cpu' */
  backend: z.string(),
  gpuName: z.string().nullable(),
  vramTotal: z.number().nonnegative().nullable(),
  vramFree: z.number().nonnegative().nullable(),
  ramTotal: z.number().nonnegative(),
  ramFree: z.number().nonnegative(),
  /** CPU threads a model runs on (the loaded one's, else what a large model would get); fewer while other programs keep cores busy. */
  threads: z.number().int().positive(),
  /** The llama.cpp binary: Burrow's own build ('native' for this CPU, 'portable') or node-llama-cpp's prebuilt one. */
  engineBuild: z.enum(['native', 'portable', 'prebuilt']),
  /** CPU cores Burrow may use (the container's quota counts). */
  cores: z.number().int().positive(),
});
export type HardwareReport = z.infer<typeof HardwareReport>;

/** A conversation's own model; null: the default model. */
export const ConversationModel = z.strictObject({ id: Id, path: z.string().nullable() });
export type ConversationModel = z.infer<typeof ConversationModel>;

const ImportId = Id;
/** Base64 of at most MAX_IMPORT_CHUNK_BYTES bytes. */
const MAX_IMPORT_CHUNK_BASE64 = Math.ceil(MAX_IMPORT_CHUNK_BYTES / 3) * 4;

// ── documents: extraction, summaries with references, questions ───────────────────────

export const DocumentFormat = z.enum(['pdf', 'docx', 'epub', 'html', 'markdown', 'text']);
export type DocumentFormat = z.infer<typeof DocumentFormat>;

/** 'brief': one paragraph. 'key-points': a list. 'outline': headings with points under them. */
export const SummaryStyle = z.enum(['brief', 'key-points', 'outline']);
export type SummaryStyle = z.infer<typeof SummaryStyle>;

/** 'interrupted': Burrow stopped while it ran. 'interrupted', 'cancelled' and 'error' resume with documents.summarize. */
export const SummaryStatus = z.enum(['running', 'interrupted', 'cancelled', 'done', 'error']);
export type SummaryStatus = z.infer<typeof SummaryStatus>;

export { MAX_SUMMARY_FOCUS_CHARS };
/** Largest file documents.uploadBegin accepts a size for (only `acceptBytes` of it are sent). */
export const MAX_DOCUMENT_DECLARED_BYTES = 2 ** 40;
/** Chunk ids are 0-based positions of a document's chunks. */
const ChunkId = z.number().int().nonnegative().max(10_000_000);

/**
 * A place in a document, as written in summaries and answers between square brackets:
 * `p. 3–4` (PDF pages), `§ "Costs"` (a heading, chapter or section), `part 2` (text without
 * either). documents.passage shows its text.
 */
export const DocumentReference = z.strictObject({
  label: z.string(),
  pageStart: z.number().int().positive().nullable(),
  pageEnd: z.number().int().positive().nullable(),
  section: z.string().nullable(),
  chunkIds: z.array(ChunkId),
});
export type DocumentReference = z.infer<typeof DocumentReference>;

/** One page (PDF) or section in reading order: the document's table of contents. */
export const DocumentOutlineEntry = z.strictObject({
  /** As a reference label: `p. 3` or `§ "Costs"`; pass to documents.passage. */
  label: z.string(),
  page: z.number().int().positive().nullable(),
  section: z.string().nullable(),
  chars: z.number().int().nonnegative(),
});
export type DocumentOutlineEntry = z.infer<typeof DocumentOutlineEntry>;

export const DocumentInfo = z.strictObject({
  id: Id,
  /** The conversation it is attached to; deleting that conversation deletes the document. */
  conversationId: Id,
  fileName: z.string(),
  format: DocumentFormat,
  /** The title the file states (PDF info, EPUB metadata, HTML <title>), else null. */
  title: z.string().nullable(),
  sizeBytes: z.number().int().nonnegative(),
  /** Pages in the file (PDF), else null. */
  pageCount: z.number().int().nonnegative().nullable(),
  /** Pages read: fewer than pageCount when the page cap was reached (see notices). */
  pagesRead: z.number().int().nonnegative().nullable(),
  charCount: z.number().int().nonnegative(),
  /** What was left out and why ("Only the first 2 000 of 5 000 pages were read."): show them, always. */
  notices: z.array(z.string()),
  outline: z.array(DocumentOutlineEntry),
  createdAt: Timestamp,
});
export type DocumentInfo = z.infer<typeof DocumentInfo>;

/** How much of the document a summary covers, e.g. "all 117 pages", "pages 1–80 of 117 — cancelled". */
export const SummaryCoverage = z.strictObject({
  text: z.string(),
  chunksDone: z.number().int().nonnegative(),
  chunksTotal: z.number().int().nonnegative(),
  /** Every chunk of everything that was read is in the summary. */
  complete: z.boolean(),
});
export type SummaryCoverage = z.infer<typeof SummaryCoverage>;

export const SummaryPoint = z.strictObject({ text: z.string(), references: z.array(DocumentReference) });
export type SummaryPoint = z.infer<typeof SummaryPoint>;

export const DocumentSummary = z.strictObject({
  id: Id,
  documentId: Id,
  style: SummaryStyle,
  focus: z.string().nullable(),
  status: SummaryStatus,
  error: z.string().nullable(),
  coverage: SummaryCoverage,
  /** The summary, point by point, each with its references; empty until status is 'done'. */
  points: z.array(SummaryPoint),
  /** The assistant message in the conversation that shows it (Markdown, references as [p. 3]); null until done. */
  messageId: Id.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type DocumentSummary = z.infer<typeof DocumentSummary>;

export const DocumentView = z.strictObject({
  document: DocumentInfo,
  /** Oldest first. */
  summaries: z.array(DocumentSummary),
});
export type DocumentView = z.infer<typeof DocumentView>;

export const DocumentPassage = z.strictObject({
  documentId: Id,
  reference: DocumentReference,
  /** The extracted text of those pages or that section (plain text, never HTML). */
  text: z.string(),
  /** The text was longer and was cut at MAX_PASSAGE_CHARS. */
  truncated: z.boolean(),
});
export type DocumentPassage = z.infer<typeof DocumentPassage>;

export const MAX_PASSAGE_CHARS = 100_000;

export const DocumentProgress = z.strictObject({
  summaryId: Id,
  documentId: Id,
  conversationId: Id,
  /** 'chunking': cutting the text for the model; 'map': summarising chunk by chunk; 'reduce': combining. */
  stage: z.enum(['chunking', 'map', 'reduce']),
  chunksDone: z.number().int().nonnegative(),
  chunksTotal: z.number().int().nonnegative(),
  /** Where the current step is, as a reference label (`p. 12`, `§ "Costs"`), or null. */
  section: z.string().nullable(),
  /** Never goes up; null until Burrow has timed one step. */
  secondsLeft: z.number().nonnegative().nullable(),
  /** 0–100, never goes down. */
  percent: z.number().min(0).max(100),
});
export type DocumentProgress = z.infer<typeof DocumentProgress>;

const UploadId = Id;
const MAX_DOCUMENT_CHUNK_BASE64 = Math.ceil(MAX_IMPORT_CHUNK_BYTES / 3) * 4;

// ── procedures ─────────────────────────────────────────────────────────────────────────

export const procedures = {
  'conversations.list': { input: Empty, output: z.array(Conversation) },
  'conversations.create': {
    input: z.strictObject({ title: Title.optional() }),
    output: Conversation,
  },
  'conversations.get': {
    input: z.strictObject({ id: Id }),
    output: ConversationView,
  },
  'conversations.rename': { input: z.strictObject({ id: Id, title: Title }), output: Conversation },
  'conversations.delete': {
    input: z.strictObject({ id: Id }),
    output: z.strictObject({ id: Id }),
  },
  'chat.send': {
    input: z.strictObject({
      conversationId: Id,
      text: z.string().trim().min(1, 'must not be empty').max(MAX_MESSAGE_CHARS),
    }),
    /** Returns at once; the answer arrives as generation.delta events and one generation.end. */
    output: ChatStarted,
  },
  'chat.cancel': {
    input: z.strictObject({ generationId: Id }),
    output: z.strictObject({ cancelled: z.boolean() }),
  },
  'conversations.setPinned': { input: z.strictObject({ id: Id, pinned: z.boolean() }), output: Conversation },
  /** Shows the branch through this message, down to its newest message (switching "2 / 3", or jumping to a search hit). */
  'conversations.switchBranch': { input: z.strictObject({ messageId: Id }), output: ConversationView },
  /** Each field: left out keeps it, null clears it (back to Burrow's default). Applies from the next answer. */
  'conversations.setSettings': {
    input: z.strictObject({
      id: Id,
      systemPrompt: ConversationSettings.shape.systemPrompt.optional(),
      temperature: ConversationSettings.shape.temperature.optional(),
      topP: ConversationSettings.shape.topP.optional(),
      maxTokens: ConversationSettings.shape.maxTokens.optional(),
    }),
    output: ConversationSettings,
  },
  /** The context meter: never loads a model. */
  'conversations.contextUsage': { input: z.strictObject({ id: Id }), output: ContextUsage },
  /** 'markdown': the branch on screen. 'json': the whole tree, as a Burrow archive holding one conversation. */
  'conversations.export': { input: z.strictObject({ id: Id, format: ExportFormat }), output: ExportedFile },
  /** Resends an edited question as a new branch beside the original (which stays reachable). Streams like chat.send. */
  'chat.edit': {
    input: z.strictObject({ messageId: Id, text: z.string().trim().min(1, 'must not be empty').max(MAX_MESSAGE_CHARS) }),
    output: ChatStarted,
  },
  /** A new answer to the same question, beside this one (an assistant message). Streams like chat.send. */
  'chat.regenerate': { input: z.strictObject({ messageId: Id }), output: ChatStarted },
  /** Saves an answer whose generation.end carried 'storage_error' (Burrow still holds its text). */
  'chat.retrySave': { input: z.strictObject({ messageId: Id }), output: Message },
  'search.query': {
    input: z.strictObject({
      query: z.string().max(MAX_SEARCH_QUERY_CHARS),
      /** Most message hits returned. Default 50. */
      limit: z.number().int().min(1).max(MAX_SEARCH_LIMIT).optional(),
    }),
    output: SearchResults,
  },
  /** Everything, as one versioned JSON archive (docs/archive-format.md). */
  'history.exportAll': { input: Empty, output: ExportedFile },
  /** A Burrow archive or ChatGPT's conversations.json, added under new ids in one transaction. */
  'history.import': {
    input: z.strictObject({ content: z.string().max(MAX_IMPORT_CHARS), fileName: z.string().max(255).optional() }),
    output: ImportResult,
  },
  'history.backups': { input: Empty, output: z.array(BackupInfo) },
  /** Replaces the history with a backup from history.backups; the current file is kept as a 'before-restore' backup. */
  'history.restoreBackup': { input: z.strictObject({ name: BackupName }), output: StoreStatus },
  'store.status': { input: Empty, output: StoreStatus },
  /** Opens the host's file picker (a dialog in the app) and loads the chosen .gguf. */
  'models.openLocal': {
    input: Empty,
    output: z.strictObject({ status: EngineStatus.nullable() }),
  },
  /** Loads a model the user has already picked (the last used one, or one in the models folder). */
  'models.load': {
    input: z.strictObject({
      path: z.string().min(1).max(MAX_PATH_CHARS),
      /** Load even when the memory estimate says it will not fit (the user was warned). */
      force: z.boolean().optional(),
    }),
    output: EngineStatus,
  },
  'engine.status': { input: Empty, output: EngineStatus },
  /** The models Burrow offers to download. */
  'models.catalog': { input: Empty, output: z.array(CatalogEntry) },
  /**
   * Starts (or continues) downloading a catalog entry: the only way the UI can cause network
   * traffic, and it can name a catalog entry, never a URL. Progress arrives as download.progress.
   */
  'models.download': { input: z.strictObject({ catalogId: CatalogId }), output: z.strictObject({ downloadId: Id }) },
  /** Downloads known to this run, including ones left paused by the last run. */
  'models.downloads': { input: Empty, output: z.array(DownloadStatus) },
  'models.pauseDownload': { input: DownloadRef, output: DownloadStatus },
  'models.resumeDownload': { input: DownloadRef, output: DownloadStatus },
  /** Stops a download and deletes what it had downloaded. */
  'models.cancelDownload': { input: DownloadRef, output: DownloadStatus },
  /** Every outbound request attempted since start, allowed or blocked, oldest first. */
  'network.log': { input: Empty, output: z.array(NetworkAttempt) },
  /** The model library: the models folder plus the files the user opened, each with its facts. */
  'models.list': { input: Empty, output: ModelLibrary },
  /** The model loaded at start and by conversations without their own; null: the last one loaded. */
  'models.setDefault': { input: z.strictObject({ path: ModelPath.nullable() }), output: ModelLibrary },
  /** Deletes a file in the models folder (unloading it first); anything else is refused. The UI confirms first. */
  'models.delete': {
    input: z.strictObject({ path: ModelPath }),
    output: z.strictObject({ path: z.string(), freedBytes: z.number().int().nonnegative() }),
  },
  /** Shows the file in the system's file manager; 'refused' where the host cannot (see ModelLibrary.canReveal). */
  'models.reveal': { input: z.strictObject({ path: ModelPath }), output: z.strictObject({ path: z.string() }) },
  'models.unload': { input: Empty, output: EngineStatus },
  /** Memory a load would need against what the machine has. Starts the engine process, never loads a model. */
  'models.estimate': {
    input: z.strictObject({ path: ModelPath, contextSize: z.number().int().min(MIN_CONTEXT_OVERRIDE).max(MAX_CONTEXT_OVERRIDE).optional() }),
    output: MemoryEstimate,
  },
  /** Each field: left out keeps it, null goes back to Burrow's choice. Applies from the next load. */
  'models.setOverrides': {
    input: z.strictObject({
      path: ModelPath,
      gpuLayers: ModelOverrides.shape.gpuLayers.optional(),
      contextSize: ModelOverrides.shape.contextSize.optional(),
    }),
    output: LibraryModel,
  },
  /** Unloads the model after this many minutes without activity (null: never). */
  'models.setIdleUnload': {
    input: z.strictObject({ minutes: z.number().positive().max(MAX_IDLE_UNLOAD_MINUTES).nullable() }),
    output: z.strictObject({ minutes: z.number().nullable() }),
  },
  /**
   * Copies a dropped model file into the models folder, streamed by the renderer in chunks (the
   * browser host cannot hand over a path): begin, chunks in order, finish. Nothing is in the
   * library until finish has validated it; cancel (or a failed check) deletes what was sent.
   */
  'models.importBegin': {
    input: z.strictObject({
      fileName: z.string().min(1).max(255),
      sizeBytes: z.number().int().positive().max(MAX_IMPORT_FILE_BYTES),
    }),
    output: z.strictObject({ importId: ImportId }),
  },
  'models.importChunk': {
    input: z.strictObject({
      importId: ImportId,
      /** Must equal the bytes received so far. */
      offset: z.number().int().nonnegative().max(MAX_IMPORT_FILE_BYTES),
      dataBase64: z
        .string()
        .min(1)
        .max(MAX_IMPORT_CHUNK_BASE64)
        .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
    }),
    output: z.strictObject({ receivedBytes: z.number().int().nonnegative() }),
  },
  'models.importFinish': { input: z.strictObject({ importId: ImportId }), output: LibraryModel },
  'models.importCancel': { input: z.strictObject({ importId: ImportId }), output: z.strictObject({ cancelled: z.boolean() }) },
  /** The machine as the engine sees it. Starts the engine process, never loads a model. */
  'engine.hardware': { input: Empty, output: HardwareReport },
  'conversations.getModel': { input: z.strictObject({ id: Id }), output: ConversationModel },
  /** The model this conversation answers with (loaded before its next answer); null: the default. */
  'conversations.setModel': { input: z.strictObject({ id: Id, path: ModelPath.nullable() }), output: ConversationModel },
  /**
   * Reads a document the host handed over (dropped on the window, chosen in a dialog, named on the
   * command line); any other path is refused before it is read. Attaches it to `conversationId`, or
   * to a new conversation named after the file.
   */
  'documents.add': {
    input: z.strictObject({ path: z.string().min(1).max(MAX_PATH_CHARS), conversationId: Id.optional() }),
    output: DocumentInfo,
  },
  /** Opens the host's file picker (the Attach button in the app) and reads the chosen file; null when cancelled. */
  'documents.pick': { input: z.strictObject({ conversationId: Id.optional() }), output: z.strictObject({ document: DocumentInfo.nullable() }) },
  /**
   * A dropped file streamed by the renderer (the browser host cannot hand over a path): begin,
   * chunks of at most 512 KiB in order, finish. Send only the first `acceptBytes` bytes: for
   * text formats that is all Burrow will read of a huge file (finish adds a notice); a PDF,
   * DOCX or EPUB larger than Burrow reads is refused at begin.
   */
  'documents.uploadBegin': {
    input: z.strictObject({
      fileName: z.string().min(1).max(255),
      sizeBytes: z.number().int().nonnegative().max(MAX_DOCUMENT_DECLARED_BYTES),
      conversationId: Id.optional(),
    }),
    output: z.strictObject({ uploadId: UploadId, acceptBytes: z.number().int().nonnegative() }),
  },
  'documents.uploadChunk': {
    input: z.strictObject({
      uploadId: UploadId,
      /** Must equal the bytes received so far. */
      offset: z.number().int().nonnegative().max(MAX_DOCUMENT_DECLARED_BYTES),
      dataBase64: z
        .string()
        .min(1)
        .max(MAX_DOCUMENT_CHUNK_BASE64)
        .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64'),
    }),
    output: z.strictObject({ receivedBytes: z.number().int().nonnegative() }),
  },
  'documents.uploadFinish': { input: z.strictObject({ uploadId: UploadId }), output: DocumentInfo },
  'documents.uploadCancel': { input: z.strictObject({ uploadId: UploadId }), output: z.strictObject({ cancelled: z.boolean() }) },
  /**
   * Summarises the whole document (loading the last used model if none is loaded). Returns at
   * once; document.progress events follow, then one document.summary. An unfinished summary of
   * the same document, style and focus is resumed where it stopped instead of starting over.
   */
  'documents.summarize': {
    input: z.strictObject({
      documentId: Id,
      /** Default 'key-points'. */
      style: SummaryStyle.optional(),
      focus: z.string().trim().min(1).max(MAX_SUMMARY_FOCUS_CHARS).optional(),
    }),
    output: z.strictObject({ summaryId: Id, conversationId: Id }),
  },
  /** Stops a running summary; what it had done is kept, and documents.summarize resumes it. */
  'documents.cancel': { input: z.strictObject({ summaryId: Id }), output: z.strictObject({ cancelled: z.boolean() }) },
  'documents.get': { input: z.strictObject({ documentId: Id }), output: DocumentView },
  /** The extracted text behind a reference: give `reference` (a label as written, e.g. "p. 3–4") or a `chunkId`. */
  'documents.passage': {
    input: z.strictObject({ documentId: Id, reference: z.string().min(1).max(300).optional(), chunkId: ChunkId.optional() }),
    output: DocumentPassage,
  },
  /** The documents attached to a conversation, oldest first. */
  'documents.list': { input: z.strictObject({ conversationId: Id }), output: z.array(DocumentInfo) },
  /** Deletes a document, its text, chunks and summaries (the conversation's messages stay). */
  'documents.remove': { input: z.strictObject({ documentId: Id }), output: z.strictObject({ documentId: Id }) },

  // ── preferences, the quick prompt and the desktop shell (schemas in settings-contract.ts) ──
  'settings.get': { input: Empty, output: AppSettings },
  /** Changes some preferences and returns them all. They apply at once: answer settings from the next answer, load settings by reloading the model. */
  'settings.set': { input: z.strictObject({ patch: SettingsPatch }), output: AppSettings },
  /** The quick-prompt shortcut as the desktop shell set it up (a conflict with another app), and what this host can do. */
  'settings.status': { input: Empty, output: SettingsStatus },
  /** Where Burrow keeps everything, and how much room it takes. */
  'settings.dataFolder': { input: Empty, output: DataFolder },
  /** Shows the data folder in the system's file manager; 'refused' where the host cannot (settings.status). */
  'settings.revealDataFolder': { input: Empty, output: z.strictObject({ path: z.string() }) },
  /** Deletes every conversation's saved evaluation state (they are evaluated again when next opened); returns the data folder as it is then. */
  'settings.clearSavedState': { input: Empty, output: DataFolder },
  /** A question from the quick window: a new conversation marked quick (conversationId null), or a follow-up in it. Streams like chat.send. */
  'quick.ask': {
    input: z.strictObject({ conversationId: Id.nullable(), text: z.string().trim().min(1, 'must not be empty').max(MAX_MESSAGE_CHARS) }),
    output: ChatStarted,
  },
  /** The quick window was dismissed (Esc): stops its answer and deletes the conversation as the settings say, hides the window where the host can. */
  'quick.dismiss': { input: z.strictObject({ conversationId: Id.nullable() }), output: QuickDismissed },
  /** Ids of the conversations started from the quick window (kept ones), for a mark in the history. */
  'quick.conversations': { input: Empty, output: z.array(Id) },
  /** "Continue in Burrow": shows the main window with this conversation. shown: false where the host has no windows (the browser host): the page goes there itself. */
  'window.show': { input: z.strictObject({ conversationId: Id.nullable() }), output: z.strictObject({ shown: z.boolean() }) },
  /** The conversation on screen in the main window, opened again at the next launch. */
  'window.setOpenConversation': { input: z.strictObject({ conversationId: Id.nullable() }), output: z.strictObject({ conversationId: Id.nullable() }) },
} as const satisfies Record<string, { input: z.ZodType; output: z.ZodType }>;

export type Procedures = typeof procedures;
export type ProcedureName = keyof Procedures;
export type ProcedureInput<K extends ProcedureName> = z.input<Procedures[K]['input']>;
export type ParsedInput<K extends ProcedureName> = z.output<Procedures[K]['input']>;
export type ProcedureOutput<K extends ProcedureName> = z.output<Procedures[K]['output']>;

// ── events ─────────────────────────────────────────────────────────────────────────────

export const events = {
  /** Answer text, batched to at most one message per ~16 ms; `seq` starts at 0 and has no gaps. */
  'generation.delta': z.strictObject({ generationId: Id, seq: z.number().int().nonnegative(), text: z.string() }),
  /** Always sent exactly once per generation, after its last delta. */
  'generation.end': z.strictObject({
    generationId: Id,
    conversationId: Id,
    messageId: Id,
    reason: GenerationEndReason,
    error: ErrorValueSchema.optional(),
    stats: GenerationStats.optional(),
  }),
  'engine.state': EngineStatus,
  /** A conversation was created, renamed, deleted or got new messages. */
  'conversations.changed': z.strictObject({ id: Id }),
  /** Many conversations changed at once (an import, a restore): reload the list and the open conversation. */
  'history.changed': z.strictObject({ reason: z.enum(['import', 'restore']) }),
  /** The store's status changed (a restore, a new backup). Read store.status once at start too: a quarantine happens before any window listens. */
  'store.status': StoreStatus,
  /** A download's status: on every state change and at most ~4 times a second while bytes arrive. */
  'download.progress': DownloadStatus,
  /** A new entry in the network log. */
  'network.attempt': NetworkAttempt,
  /** The model library changed (a download finished, an import, a delete, a new default or overrides): read models.list again. */
  'library.changed': z.strictObject({ reason: z.enum(['download', 'import', 'delete', 'default', 'overrides', 'settings']) }),
  /** A summary's progress: at its start and after every step. Counters never go backwards. */
  'document.progress': DocumentProgress,
  /** Sent once when a summary ends; read documents.get for the result. */
  'document.summary': z.strictObject({
    summaryId: Id,
    documentId: Id,
    conversationId: Id,
    status: z.enum(['done', 'cancelled', 'error']),
    error: ErrorValueSchema.optional(),
    coverage: SummaryCoverage,
    /** The conversation message holding the summary (status 'done'). */
    messageId: Id.nullable(),
  }),
  /** Preferences changed (any window, or the command line): apply them (the theme at once). */
  'settings.changed': AppSettings,
  /** The shortcut's registration changed (a conflict, turned off). */
  'settings.status': SettingsStatus,
  /** A command for the main window's UI from the app menu, the tray or the quick window. */
  'ui.command': UiCommand,
} as const satisfies Record<string, z.ZodType>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<K extends EventName> = z.output<Events[K]>;

export function isProcedureName(name: unknown): name is ProcedureName {
  return typeof name === 'string' && Object.hasOwn(procedures, name);
}

export function isEventName(name: unknown): name is EventName {
  return typeof name === 'string' && Object.hasOwn(events, name);
}

/** What `window.burrow` is: the only thing preload exposes. */
export interface BurrowBridge {
  invoke<K extends ProcedureName>(name: K, input: ProcedureInput<K>): Promise<Result<ProcedureOutput<K>>>;
  on<K extends EventName>(name: K, listener: (payload: EventPayload<K>) => void): () => void;
}

/** The keys of the preload's window.burrow (the browser host's bridge has no grantFile: it streams dropped files). */
export const BRIDGE_KEYS = Object.freeze(['grantFile', 'invoke', 'on'] as const);
