/**
 * The event table: every `'domain.noun'` the UI can be told, with its payload schema (the
 * schemas themselves live in schemas/<domain>.ts). Pure TypeScript: no Node, Electron or DOM imports.
 */
import { z } from 'zod';
import { ErrorValueSchema, Id } from './schemas/common';
import { DocumentProgress, SummaryCoverage } from './schemas/documents';
import { DownloadStatus, NetworkAttempt } from './schemas/downloads';
import { EngineStatus, GenerationEndReason, GenerationStats } from './schemas/engine';
import { ApiRequestEntry, ApiStatus, RemoteEngineStatus } from './schemas/api';
import { FinishReason, ToolCall } from './schemas/generate';
import { StoreStatus } from './schemas/history';
import { AppSettings, SettingsStatus, UiCommand } from './schemas/settings';

export const events = {
  /** Answer text, batched to at most one message per ~16 ms; `seq` starts at 0 and has no gaps. */
  'generation.delta': z.strictObject({ generationId: Id, seq: z.number().int().nonnegative(), text: z.string() }),
  /** A chat answer started (chat.send, edit, regenerate, continue), before its first delta: every window can follow it. */
  'generation.started': z.strictObject({ generationId: Id, conversationId: Id, messageId: Id }),
  /** Always sent exactly once per generation, after its last delta. */
  'generation.end': z.strictObject({
    generationId: Id,
    /** null for a generation that belongs to no conversation (generate.chat / generate.text). */
    conversationId: Id.nullable(),
    messageId: Id.nullable(),
    reason: GenerationEndReason,
    error: ErrorValueSchema.optional(),
    stats: GenerationStats.optional(),
    /** How the answer ended, as OpenAI reports it (generate.chat / generate.text; also set for chat answers). */
    finishReason: FinishReason.optional(),
    /** Functions the model called (generate.chat with tools); finishReason is then 'tool_calls'. */
    toolCalls: z.array(ToolCall).optional(),
    /** A chat answer that stopped at its token limit: that limit (saved as the message's tokenLimit). */
    tokenLimit: z.number().int().positive().optional(),
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
  /**
   * The model library changed (a download finished, an import, a delete, a new default or
   * overrides, or the loaded model's file disappeared or came back: 'missing'): read models.list again.
   */
  'library.changed': z.strictObject({ reason: z.enum(['download', 'import', 'delete', 'default', 'overrides', 'settings', 'missing', 'adapters']) }),
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
  /** The local API server's status changed (turned on or off, a key rotated, a port taken). */
  'api.state': ApiStatus,
  /** A request the local API server answered (the request log's newest entry). */
  'api.request': ApiRequestEntry,
  /** The remote engine's settings or health changed (the banner and Settings → Engine follow it). */
  'remote.state': RemoteEngineStatus,
} as const satisfies Record<string, z.ZodType>;

export type Events = typeof events;
export type EventName = keyof Events;
export type EventPayload<K extends EventName> = z.output<Events[K]>;
