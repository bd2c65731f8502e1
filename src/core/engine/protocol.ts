/**
 * Messages between EngineHost and the engine process. Both sides parse what they receive
 * from `unknown` with these schemas: a process boundary is a trust boundary, and a crashed
 * or mismatched peer must produce a clear error, not undefined behaviour.
 * The port also carries `binaryTest.*` messages (binary-test-protocol.ts), which neither
 * EngineHost nor the request handler sees.
 */
import { z } from 'zod';
import { ErrorValueSchema, GenerationStats, ModelInfo } from '../../shared/contract';
import { HardwareReport, MemoryEstimate } from '../../shared/contract';
import type { EngineSettings, GenerateOptions } from './types';

/** Request ids are chosen by the host and echoed by the worker. */
const RequestId = z.number().int().nonnegative();

/**
 * Not strict: keys this worker does not know (a host newer than a stale build) are dropped
 * rather than failing every load.
 */
export const EngineSettingsSchema = z.object({
  threads: z.number().int().positive().optional(),
  gpu: z.union([z.literal('auto'), z.literal(false)]).optional(),
  gpuLayers: z.number().int().nonnegative().optional(),
  contextSize: z.number().int().positive().optional(),
  maxTokens: z.number().int().positive().optional(),
  temperature: z.number().nonnegative().optional(),
  topP: z.number().min(0).max(1).optional(),
  seed: z.number().int().optional(),
  maxSessions: z.number().int().positive().max(64).optional(),
  systemPrompt: z.string().optional(),
  flashAttention: z.boolean().optional(),
  kvCacheType: z.enum(['f16', 'q8_0']).optional(),
  stateDir: z.string().min(1).max(4096).optional(),
  stateBudgetBytes: z.number().int().nonnegative().optional(),
}) satisfies z.ZodType<EngineSettings>;

/** Compile-time check that every setting has a schema entry: this type must be `never`. */
type UncheckedSetting = Exclude<keyof EngineSettings, keyof z.infer<typeof EngineSettingsSchema>>;
export const everySettingChecked: UncheckedSetting extends never ? true : false = true;

const ChatTurnSchema = z.strictObject({ role: z.enum(['user', 'assistant']), text: z.string() });

export const GenerateOptionsSchema = z.strictObject({
  systemPrompt: z.string().optional(),
  temperature: z.number().nonnegative().optional(),
  topP: z.number().min(0).max(1).optional(),
  maxTokens: z.number().int().positive().optional(),
}) satisfies z.ZodType<GenerateOptions>;

export const HostMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('load'), id: RequestId, path: z.string().min(1), settings: EngineSettingsSchema }),
  z.strictObject({
    type: z.literal('generate'),
    id: RequestId,
    sessionKey: z.string().min(1),
    history: z.array(ChatTurnSchema),
    prompt: z.string(),
    options: GenerateOptionsSchema.optional(),
  }),
  /** Counts tokens with the loaded model's tokenizer and chat template; answered at once, not queued behind a generation. */
  z.strictObject({ type: z.literal('measure'), id: RequestId, history: z.array(ChatTurnSchema), systemPrompt: z.string().optional() }),
  /** Tokens in each text with the loaded model's tokenizer, no template or special tokens (document chunking). Answered at once. */
  z.strictObject({ type: z.literal('count-tokens'), id: RequestId, texts: z.array(z.string()).max(10_000) }),
  /** Stops the generation with this id (running or queued); its `done` carries reason 'cancelled'. */
  z.strictObject({ type: z.literal('cancel'), id: RequestId }),
  z.strictObject({ type: z.literal('unload'), id: RequestId }),
  /** A deleted conversation: its session and saved state go. Queued like a generation. */
  z.strictObject({ type: z.literal('forget'), id: RequestId, sessionKey: z.string().min(1) }),
  /** Memory a load of `path` with `settings` would need (validated first; never loads). Not queued behind generations once the backend is up. */
  z.strictObject({ type: z.literal('estimate'), id: RequestId, path: z.string().min(1), settings: EngineSettingsSchema }),
  /** The backend, GPU, memory and threads. Not queued behind generations once the backend is up. */
  z.strictObject({ type: z.literal('hardware'), id: RequestId, settings: EngineSettingsSchema }),
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
  z.strictObject({ type: z.literal('measured'), id: RequestId, tokens: z.number().int().nonnegative(), contextSize: z.number().int().positive() }),
  z.strictObject({ type: z.literal('token-counts'), id: RequestId, counts: z.array(z.number().int().nonnegative()) }),
  z.strictObject({ type: z.literal('estimated'), id: RequestId, estimate: MemoryEstimate }),
  z.strictObject({ type: z.literal('hardware-report'), id: RequestId, hardware: HardwareReport }),
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
