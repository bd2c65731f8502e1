/**
 * Messages between EngineHost and the engine process. Both sides parse what they receive
 * from `unknown` with these schemas: a process boundary is a trust boundary, and a crashed
 * or mismatched peer must produce a clear error, not undefined behaviour.
 * The port also carries `binaryTest.*` messages (binary-test-protocol.ts), which neither
 * EngineHost nor the request handler sees.
 */
import { z } from 'zod';
import { AppliedAdapter, ChatPrepared, ErrorValueSchema, GenerationStats, ModelInfo } from '../../shared/contract';
import { MAX_ADAPTERS } from '../../shared/limits';
import { HardwareReport, MemoryEstimate } from '../../shared/contract';
import { DirectMessage, DirectOptions, FinishReason, ToolCall } from '../../shared/schemas/generate';

/** Request ids are chosen by the host and echoed by the worker. */
const RequestId = z.number().int().nonnegative();

/**
 * Engine settings: Burrow's defaults and the user's choices, sent with every load. Not strict:
 * keys this worker does not know (a host newer than a stale build) are dropped rather than
 * failing every load.
 */
export const EngineSettingsSchema = z.object({
  /** CPU threads. Default: os.availableParallelism(), and 1 for tiny models (< 64 MB). */
  threads: z.number().int().positive().optional(),
  /** 'auto' lets node-llama-cpp pick Metal/CUDA/Vulkan when present; false forces CPU. Default 'auto'. */
  gpu: z.union([z.literal('auto'), z.literal(false)]).optional(),
  /** Model layers offloaded to the GPU. Default: as many as fit (node-llama-cpp's 'auto'). A per-model override. */
  gpuLayers: z.number().int().nonnegative().optional(),
  /** Context size in tokens. Default: the model's training context, capped at 4096. */
  contextSize: z.number().int().positive().optional(),
  /** Most tokens in one answer. Default 1024. */
  maxTokens: z.number().int().positive().optional(),
  temperature: z.number().nonnegative().optional(),
  topP: z.number().min(0).max(1).optional(),
  /** Random seed, for reproducible tests. */
  seed: z.number().int().optional(),
  /**
   * Conversations whose KV cache is kept at once (each holds a context sequence of
   * `contextSize` tokens); the least recently used one is dropped beyond this. Default 4, and
   * 2 on CPU, where each one's cache is resident RAM (memory-estimate.ts).
   */
  maxSessions: z.number().int().positive().max(64).optional(),
  /** System message put before every conversation. Default: none. */
  systemPrompt: z.string().optional(),
  /** Flash attention. Default on CPU: on with Burrow's own engine build, off with the prebuilt one (context-options.ts); elsewhere node-llama-cpp's choice. */
  flashAttention: z.boolean().optional(),
  /** Number type of the KV cache. Default 'f16'; 'q8_0' halves it at some prompt speed (context-options.ts). */
  kvCacheType: z.enum(['f16', 'q8_0']).optional(),
  /** Folder for conversations' saved evaluation state (state-store.ts). Default: none, nothing is saved. */
  stateDir: z.string().min(1).max(4096).optional(),
  /** Disk budget for saved states, least recently used first out. Default 2 GiB. */
  stateBudgetBytes: z.number().int().nonnegative().optional(),
  /**
   * Which llama.cpp binary (engine-build.ts). Default: BURROW_ENGINE_BUILD, else 'auto'. The host
   * sends 'prebuilt' once Burrow's own build has failed on this computer (build-fallback.ts).
   */
  engineBuild: z.enum(['auto', 'local', 'prebuilt']).optional(),
});

export const ChatTurnSchema = z.strictObject({ role: z.enum(['user', 'assistant']), text: z.string() });

/** Per-request overrides of the engine settings (a conversation's own settings). */
export const GenerateOptionsSchema = z.strictObject({
  /** Replaces EngineSettings.systemPrompt for this conversation's session. */
  systemPrompt: z.string().optional(),
  temperature: z.number().nonnegative().optional(),
  topP: z.number().min(0).max(1).optional(),
  maxTokens: z.number().int().positive().optional(),
});

/** One turn to answer: what the host sends with 'generate' and the engine answers. */
export const TurnSchema = z.strictObject({
  /** One chat session is kept per key (the conversation id), so a follow-up turn reuses the KV cache. */
  sessionKey: z.string().min(1),
  /** Earlier turns of the conversation, oldest first, NOT including `prompt`. */
  history: z.array(ChatTurnSchema),
  prompt: z.string(),
  options: GenerateOptionsSchema.optional(),
  /**
   * The start of the answer, already written (Continue after the length limit): the model goes
   * on from its end, with no new user turn. The result's text includes it. Default: none.
   */
  responsePrefix: z.string().optional(),
  /**
   * The LoRA adapters to answer with ([]: none). A set other than the context's rebuilds the
   * context first (state 'applying'); left out: whatever the context has (summaries, the API).
   * Validated in the engine before llama.cpp sees them.
   */
  adapters: z.array(AppliedAdapter).max(MAX_ADAPTERS).optional(),
});

/** How a turn ended: what the engine sends with 'done' and the host resolves with. */
export const TurnResultSchema = z.strictObject({
  text: z.string(),
  reason: z.enum(['done', 'cancelled']),
  stats: GenerationStats,
  /** 'length' when maxTokens ran out, else 'stop' (left out by an engine that does not say). */
  finishReason: FinishReason.optional(),
  /** The most tokens this answer could have (the limit a 'length' finish reached), when the engine knows it. */
  maxTokens: z.number().int().positive().optional(),
});

/** What a direct answer (no conversation: the local API) answers: a message list, or raw text to continue. */
export const DirectInputSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('chat'), messages: z.array(DirectMessage).min(1) }),
  z.strictObject({ kind: z.literal('text'), prompt: z.string() }),
]);

/** How a direct answer ended. */
export const DirectResultSchema = z.strictObject({
  ...TurnResultSchema.shape,
  finishReason: FinishReason,
  toolCalls: z.array(ToolCall).optional(),
});

export const EmbeddedSchema = z.strictObject({
  model: z.strictObject({ path: z.string(), name: z.string() }),
  vectors: z.array(z.array(z.number())),
  promptTokens: z.number().int().nonnegative(),
});

export const HostMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('load'), id: RequestId, path: z.string().min(1), settings: EngineSettingsSchema }),
  z.strictObject({ type: z.literal('generate'), id: RequestId, ...TurnSchema.shape }),
  /** An answer that belongs to no conversation, on a sequence never saved to disk. Queued like a generation; cancelled like one. */
  z.strictObject({ type: z.literal('direct'), id: RequestId, input: DirectInputSchema, options: DirectOptions, adapters: z.array(AppliedAdapter).max(MAX_ADAPTERS).optional() }),
  /** Embedding vectors from the loaded model, or from the model file at `modelPath` (loaded for this request). Queued. */
  z.strictObject({ type: z.literal('embed'), id: RequestId, texts: z.array(z.string()).min(1), modelPath: z.string().min(1).optional() }),
  /**
   * Counts tokens with the loaded model's tokenizer and chat template; answered at once, not queued
   * behind a generation (on Burrow's own build, after the batch being computed, if one is).
   */
  z.strictObject({ type: z.literal('measure'), id: RequestId, history: z.array(ChatTurnSchema), systemPrompt: z.string().optional() }),
  /** Tokens in each text with the loaded model's tokenizer, no template or special tokens (document chunking). Answered at once, as `measure`. */
  z.strictObject({ type: z.literal('count-tokens'), id: RequestId, texts: z.array(z.string()).max(10_000) }),
  /** Stops the generation with this id (running or queued); its `done` carries reason 'cancelled'. */
  z.strictObject({ type: z.literal('cancel'), id: RequestId }),
  z.strictObject({ type: z.literal('unload'), id: RequestId }),
  /**
   * A conversation the user opened: its saved state, if any, is loaded into a sequence now, so
   * the next turn does not wait for it. Never loads a model, and never evaluates: a session with
   * nothing saved is left alone. Queued like a generation.
   */
  z.strictObject({
    type: z.literal('prepare'),
    id: RequestId,
    sessionKey: z.string().min(1),
    history: z.array(ChatTurnSchema),
    systemPrompt: z.string().optional(),
    /** The adapters the conversation answers with: prepared only when the context has these. */
    adapters: z.array(AppliedAdapter).max(MAX_ADAPTERS).optional(),
  }),
  /** A deleted conversation: its session and saved state go. Queued like a generation. */
  z.strictObject({ type: z.literal('forget'), id: RequestId, sessionKey: z.string().min(1) }),
  /** Memory a load of `path` with `settings` would need (validated first; never loads). Not queued behind generations once the backend is up. */
  z.strictObject({
    type: z.literal('estimate'),
    id: RequestId,
    path: z.string().min(1),
    settings: EngineSettingsSchema,
    /** LoRA adapter files the load would apply (validated in the engine; their tensors count). */
    adapters: z.array(z.string().min(1).max(4096)).max(MAX_ADAPTERS).optional(),
  }),
  /** The backend, GPU, memory and threads. Not queued behind generations once the backend is up. */
  z.strictObject({ type: z.literal('hardware'), id: RequestId, settings: EngineSettingsSchema }),
  /** Frees every llama object, acknowledges, then the process exits. */
  z.strictObject({ type: z.literal('dispose'), id: RequestId }),
]);
export type HostMessage = z.infer<typeof HostMessage>;

export const WorkerMessage = z.discriminatedUnion('type', [
  /** Sent once when the process is up and listening. */
  z.strictObject({ type: z.literal('started'), pid: z.number().int() }),
  /** `engineBuild`: the llama.cpp binary the model runs on, Burrow's own build or the prebuilt one. */
  z.strictObject({ type: z.literal('loaded'), id: RequestId, model: ModelInfo, engineBuild: z.enum(['native', 'portable', 'prebuilt']) }),
  z.strictObject({ type: z.literal('text'), id: RequestId, text: z.string() }),
  /** Before generation `id`: the context is being rebuilt with other adapters ('applying'), then is ready ('applied'). */
  z.strictObject({ type: z.literal('adapters'), id: RequestId, phase: z.enum(['applying', 'applied']), model: ModelInfo }),
  z.strictObject({ type: z.literal('done'), id: RequestId, ...TurnResultSchema.shape }),
  z.strictObject({ type: z.literal('direct-done'), id: RequestId, ...DirectResultSchema.shape }),
  z.strictObject({ type: z.literal('embedded'), id: RequestId, ...EmbeddedSchema.shape }),
  z.strictObject({ type: z.literal('measured'), id: RequestId, tokens: z.number().int().nonnegative(), contextSize: z.number().int().positive() }),
  z.strictObject({ type: z.literal('token-counts'), id: RequestId, counts: z.array(z.number().int().nonnegative()) }),
  z.strictObject({ type: z.literal('estimated'), id: RequestId, estimate: MemoryEstimate }),
  z.strictObject({ type: z.literal('hardware-report'), id: RequestId, hardware: HardwareReport }),
  /**
   * What 'prepare' found: the session was in memory already ('kept'), came back from its saved
   * state ('restored', `tokens` of it), or was left as it was ('skipped': nothing saved, or not
   * for the loaded model or adapters).
   */
  z.strictObject({ type: z.literal('prepared'), id: RequestId, ...ChatPrepared.shape }),
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

/** The answer to a turn cancelled before it reached the model. */
export function cancelledBeforeStart(): z.infer<typeof TurnResultSchema> {
  return { text: '', reason: 'cancelled', stats: { evaluatedTokens: 0, generatedTokens: 0, durationMs: 0, truncatedMessages: 0 } };
}
