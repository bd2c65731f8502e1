/**
 * The procedure table: every `'domain.verb'` the UI can ask, with its input and output schemas
 * (the schemas themselves live in schemas/<domain>.ts). Pure TypeScript: no Node, Electron or DOM imports.
 */
import { z } from 'zod';
import { MAX_IDLE_UNLOAD_MINUTES, MAX_MESSAGE_CHARS, MAX_PATH_CHARS, MAX_SEARCH_QUERY_CHARS, MAX_SUMMARY_FOCUS_CHARS } from './limits';
import { MAX_CONTEXT_OVERRIDE, MAX_IMPORT_FILE_BYTES, MIN_CONTEXT_OVERRIDE } from './limits';
import { ChunkBase64, ChunkReceived, Empty, Id } from './schemas/common';
import { ChatPrepared, ChatStarted, Conversation, ConversationSettings, ConversationView, ContextUsage, ExportFormat, ExportedFile, Message, Title } from './schemas/conversations';
import { CatalogEntry, CatalogId, DownloadRef, DownloadStatus, NetworkAttempt } from './schemas/downloads';
import { ChunkId, DocumentInfo, DocumentPassage, DocumentView, MAX_DOCUMENT_DECLARED_BYTES, SummaryStyle, UploadId } from './schemas/documents';
import { EngineStatus } from './schemas/engine';
import { BackupInfo, BackupName, ImportResult, MAX_IMPORT_CHARS, MAX_SEARCH_LIMIT, SearchResults, StoreStatus } from './schemas/history';
import { AdapterChoices, ConversationModel, HardwareReport, LibraryAdapter, ImportId, LibraryModel, MemoryEstimate, ModelLibrary, ModelOverrides, ModelPath } from './schemas/models';
import { ApiConfigPatch, ApiRequestEntry, ApiStatus, RemoteEnginePatch, RemoteEngineStatus, RemoteKey, RemoteUrl } from './schemas/api';
import { DirectMessage, DirectOptions, DirectStarted, EmbedInput, EmbedResult, MAX_GENERATE_CHARS } from './schemas/generate';
import { AppSettings, DataFolder, QuickDismissed, SettingsPatch, SettingsStatus } from './schemas/settings';

export const procedures = {
  'conversations.list': { input: Empty, output: z.array(Conversation) },
  'conversations.create': {
    input: z.strictObject({
      title: Title.optional(),
      /** The conversation on screen: while it is still empty (nothing written, attached or set in it) it is returned instead of a new one. */
      reuseIfEmpty: Id.optional(),
    }),
    output: Conversation,
  },
  /**
   * The user left this conversation: it is deleted if they put nothing into it (no message,
   * document, title, pin or settings of their own), so empty "New chat" entries never pile up.
   */
  'conversations.discardIfEmpty': {
    input: z.strictObject({ id: Id }),
    output: z.strictObject({ deleted: z.boolean() }),
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
  /**
   * Goes on from where an answer stopped at its token limit (an assistant message with a
   * tokenLimit), in the same message: the continuation streams like chat.send and is appended.
   */
  'chat.continue': { input: z.strictObject({ messageId: Id }), output: ChatStarted },
  /**
   * The answers being written in a conversation right now: the text a continued answer started
   * from (`prefix`), what its deltas carried so far (`text`) and the seq of the next one. Another
   * window catches up with them, then follows the same deltas.
   */
  'chat.running': {
    input: z.strictObject({ conversationId: Id }),
    output: z.array(z.strictObject({ generationId: Id, messageId: Id, prefix: z.string(), text: z.string(), nextSeq: z.number().int().nonnegative() })),
  },
  /**
   * The user opened this conversation: Burrow gets it ready for the next message (its saved
   * evaluation state goes back into the engine now, not when they send). Never loads a model; a
   * no-op ('skipped') while answers run or when another model would answer. Only saves time.
   */
  'chat.prepare': { input: z.strictObject({ conversationId: Id }), output: ChatPrepared },
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
  /**
   * Opens the host's file picker (a dialog in the app) and loads the chosen .gguf. `replaces`:
   * a model whose file is gone ("Find it again…"): the chosen file takes its place as the default.
   */
  'models.openLocal': {
    input: z.strictObject({ replaces: z.string().min(1).max(MAX_PATH_CHARS).optional() }),
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
      dataBase64: ChunkBase64,
    }),
    output: ChunkReceived,
  },
  'models.importFinish': { input: z.strictObject({ importId: ImportId }), output: LibraryModel },
  'models.importCancel': { input: z.strictObject({ importId: ImportId }), output: z.strictObject({ cancelled: z.boolean() }) },
  /** The LoRA adapters added to a base model, each checked against it (a model the user may load). */
  'models.adapters': { input: z.strictObject({ modelPath: ModelPath }), output: z.array(LibraryAdapter) },
  /**
   * Adds an adapter file the host handed over (a file dialog, a drop through grantFile with kind
   * 'adapter', the command line) to a base model. The file is validated and must fit the model (else
   * 'model_invalid' saying why, naming both); it stays where it is and never joins the models list.
   */
  'models.addAdapter': { input: z.strictObject({ modelPath: ModelPath, path: ModelPath }), output: LibraryAdapter },
  /** Opens the host's file picker for an adapter and adds it as models.addAdapter does; null when cancelled. */
  'models.pickAdapter': { input: z.strictObject({ modelPath: ModelPath }), output: z.strictObject({ adapter: LibraryAdapter.nullable() }) },
  /** Forgets an adapter (never deletes the file); it leaves the model's defaults too. Returns the model's adapters. */
  'models.removeAdapter': { input: z.strictObject({ modelPath: ModelPath, path: ModelPath }), output: z.array(LibraryAdapter) },
  /** The adapters a model answers with when a conversation has none of its own (and in the quick prompt). Returns the model's adapters. */
  'models.setAdapterDefaults': { input: z.strictObject({ modelPath: ModelPath, adapters: AdapterChoices }), output: z.array(LibraryAdapter) },
  /** The machine as the engine sees it. Starts the engine process, never loads a model. */
  'engine.hardware': { input: Empty, output: HardwareReport },
  'conversations.getModel': { input: z.strictObject({ id: Id }), output: ConversationModel },
  /** The model this conversation answers with (loaded before its next answer); null: the default. */
  'conversations.setModel': { input: z.strictObject({ id: Id, path: ModelPath.nullable() }), output: ConversationModel },
  /**
   * This conversation's own adapters, each with a scale (null: the answering model's default adapters).
   * Applies from the next answer, which reloads the context ("Applying adapter…"). Adapters not
   * added to the model that answers are skipped then.
   */
  'conversations.setAdapters': { input: z.strictObject({ id: Id, adapters: AdapterChoices.nullable() }), output: ConversationModel },
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
      dataBase64: ChunkBase64,
    }),
    output: ChunkReceived,
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

  // ── preferences, the quick prompt and the desktop shell (schemas in schemas/settings.ts) ──
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
  /**
   * An answer to a whole message list that belongs to no conversation (the local API's chat
   * completions). Streams like chat.send, with null conversationId and messageId; saved to the
   * history as a new conversation only when `saveAs` is given.
   */
  'generate.chat': {
    input: z.strictObject({
      messages: z.array(DirectMessage).min(1).max(1000),
      options: DirectOptions.default({}),
      saveAs: z.strictObject({ title: Title }).optional(),
    }),
    output: DirectStarted,
  },
  /** Raw text continued by the model, no chat template (the local API's completions). Streams like generate.chat. */
  'generate.text': {
    input: z.strictObject({ prompt: z.string().max(MAX_GENERATE_CHARS), options: DirectOptions.omit({ tools: true, toolChoice: true }).default({}) }),
    output: DirectStarted,
  },
  /** Stops a generate.chat / generate.text answer; its generation.end carries 'cancelled'. */
  'generate.cancel': { input: z.strictObject({ generationId: Id }), output: z.strictObject({ cancelled: z.boolean() }) },
  /** Embedding vectors for each text, from the loaded model or a library model file. */
  'generate.embed': { input: EmbedInput, output: EmbedResult },
  /** The local API server: its switch, address, key and state. */
  'api.status': { input: Empty, output: ApiStatus },
  /** Changes the server's settings; turning it on starts it (a taken port: state 'error' with freePort). */
  'api.configure': { input: ApiConfigPatch, output: ApiStatus },
  /** A new key; the old one stops working at once. */
  'api.rotateKey': { input: Empty, output: ApiStatus },
  /** The request log, newest last (kept in memory, the last 500). */
  'api.requests': { input: Empty, output: z.array(ApiRequestEntry) },
  /** Settings → Engine → "Use a server". */
  'remote.status': { input: Empty, output: RemoteEngineStatus },
  /** Changes the remote engine's settings; enabling it sends chats, summaries and the quick prompt there. */
  'remote.configure': { input: RemoteEnginePatch, output: RemoteEngineStatus },
  /** Asks a server for its models (through the egress gate), without saving anything: the Test button. */
  'remote.test': { input: z.strictObject({ url: RemoteUrl, apiKey: RemoteKey.optional() }), output: z.strictObject({ models: z.array(z.string()) }) },
} as const satisfies Record<string, { input: z.ZodType; output: z.ZodType }>;

export type Procedures = typeof procedures;
export type ProcedureName = keyof Procedures;
export type ProcedureInput<K extends ProcedureName> = z.input<Procedures[K]['input']>;
export type ParsedInput<K extends ProcedureName> = z.output<Procedures[K]['input']>;
export type ProcedureOutput<K extends ProcedureName> = z.output<Procedures[K]['output']>;

export function isProcedureName(name: unknown): name is ProcedureName {
  return typeof name === 'string' && Object.hasOwn(procedures, name);
}
