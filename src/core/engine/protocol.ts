/**
 * Messages between EngineHost and the engine process. Both sides parse what they receive
 * from `unknown` with these schemas: a process boundary is a trust boundary, and a crashed
 * or mismatched peer must produce a clear error, not undefined behaviour.
 */
import { z } from 'zod';
import { ErrorValueSchema, GenerationStats, ModelInfo } from '../../shared/contract';
import type { EngineSettings } from './types';

/** Request ids are chosen by the host and echoed by the worker. */
const RequestId = z.number().int().nonnegative();

/**
 * Not strict: keys this worker does not know (a host newer than a stale build) are dropped
 * rather than failing every load.
 */
export const EngineSettingsSchema = z.object({
  threads: z.number().int().positive().optional(),
  gpu: z.union([z.literal('auto'), z.literal(false)]).optional(),
  contextSize: z.number().int().positive().optional(),
  maxTokens: z.number().int().positive().optional(),
  temperature: z.number().nonnegative().optional(),
  topP: z.number().min(0).max(1).optional(),
  seed: z.number().int().optional(),
  maxSessions: z.number().int().positive().max(64).optional(),
  systemPrompt: z.string().optional(),
}) satisfies z.ZodType<EngineSettings>;

/** Compile-time check that every setting has a schema entry: this type must be `never`. */
type UncheckedSetting = Exclude<keyof EngineSettings, keyof z.infer<typeof EngineSettingsSchema>>;
export const everySettingChecked: UncheckedSetting extends never ? true : false = true;

const ChatTurnSchema = z.strictObject({ role: z.enum(['user', 'assistant']), text: z.string() });

export const HostMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('load'), id: RequestId, path: z.string().min(1), settings: EngineSettingsSchema }),
  z.strictObject({
    type: z.literal('generate'),
    id: RequestId,
    sessionKey: z.string().min(1),
    history: z.array(ChatTurnSchema),
    prompt: z.string(),
  }),
  /** Stops the generation with this id (running or queued); its `done` carries reason 'cancelled'. */
  z.strictObject({ type: z.literal('cancel'), id: RequestId }),
  z.strictObject({ type: z.literal('unload'), id: RequestId }),
  /** Frees every llama object, acknowledges, then the process exits. */
  z.strictObject({ type: z.literal('dispose'), id: RequestId }),
]);
export type HostMessage = z.infer<typeof HostMessage>;

export const WorkerMessage = z.discriminatedUnion('type', [
  /** Sent once when the process is up and listening. */
  z.strictObject({ type: z.literal('started'), pid: z.number().int() }),
  z.strictObject({ type: z.literal('loaded'), id: RequestId, model: ModelInfo }),
  z.strictObject({ type: z.literal('text'), id: RequestId, text: z.string() }),
  z.strictObject({
    type: z.literal('done'),
    id: RequestId,
    text: z.string(),
    reason: z.enum(['done', 'cancelled']),
    stats: GenerationStats,
  }),
  /** Acknowledges unload/dispose. */
  z.strictObject({ type: z.literal('ok'), id: RequestId }),
  z.strictObject({
    type: z.literal('error'),
    /** null when the error belongs to no request (e.g. a message that did not parse). */
    id: RequestId.nullable(),
    error: ErrorValueSchema,
    /** The model loaded after the failure (a failed load may leave the old one in place, or none). */
    model: ModelInfo.nullable(),
  }),
  z.strictObject({ type: z.literal('log'), level: z.enum(['debug', 'info', 'warn', 'error']), message: z.string() }),
]);
export type WorkerMessage = z.infer<typeof WorkerMessage>;
export type LogLevel = Extract<WorkerMessage, { type: 'log' }>['level'];
