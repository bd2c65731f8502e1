/**
 * The one description of everything the UI can ask (`procedures`) and everything it can
 * be told (`events`). Types are derived from these schemas and never written twice.
 * Pure TypeScript: no Node, Electron or DOM imports.
 */
import { z } from 'zod';
import type { Result } from './errors';
import { MAX_MESSAGE_CHARS, MAX_PATH_CHARS, MAX_TITLE_CHARS } from './limits';

// ── building blocks ────────────────────────────────────────────────────────────────────

export const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be an id (letters, digits, - and _)');

/** Millisecond Unix timestamp. */
const Timestamp = z.number().int().nonnegative();

export { MAX_MESSAGE_CHARS, MAX_PATH_CHARS, MAX_TITLE_CHARS };

const Title = z.string().trim().min(1, 'must not be empty').max(MAX_TITLE_CHARS);

export const Conversation = z.strictObject({
  id: Id,
  title: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  messageCount: z.number().int().nonnegative(),
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
});
export type GenerationStats = z.infer<typeof GenerationStats>;

const Empty = z.strictObject({});

// ── procedures ─────────────────────────────────────────────────────────────────────────

export const procedures = {
  'conversations.list': { input: Empty, output: z.array(Conversation) },
  'conversations.create': {
    input: z.strictObject({ title: Title.optional() }),
    output: Conversation,
  },
  'conversations.get': {
    input: z.strictObject({ id: Id }),
    output: z.strictObject({ conversation: Conversation, messages: z.array(Message) }),
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
    output: z.strictObject({
      generationId: Id,
      userMessage: Message,
      assistantMessage: Message,
    }),
  },
  'chat.cancel': {
    input: z.strictObject({ generationId: Id }),
    output: z.strictObject({ cancelled: z.boolean() }),
  },
  /** Opens the host's file picker (a dialog in the app) and loads the chosen .gguf. */
  'models.openLocal': {
    input: Empty,
    output: z.strictObject({ status: EngineStatus.nullable() }),
  },
  /** Loads a model the user has already picked (the last used one, or one in the models folder). */
  'models.load': {
    input: z.strictObject({ path: z.string().min(1).max(MAX_PATH_CHARS) }),
    output: EngineStatus,
  },
  'engine.status': { input: Empty, output: EngineStatus },
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

export const BRIDGE_KEYS = Object.freeze(['invoke', 'on'] as const);
