/**
 * The contract's schemas for generations that belong to no conversation: what the local
 * OpenAI-compatible API (src/core/api) asks the core for. A request carries its whole message
 * list, nothing is saved to history unless the user asked for it, and the answer streams as
 * the same generation.delta / generation.end events as a chat answer (with null
 * conversationId and messageId). Pure TypeScript: no Node, Electron or DOM imports.
 */
import { z } from 'zod';
import { MAX_MESSAGE_CHARS, MAX_PATH_CHARS } from '../limits';

/** The most text one request may carry in all its messages (the HTTP body cap is the real bound). */
export const MAX_GENERATE_CHARS = 4 * MAX_MESSAGE_CHARS;
const Text = z.string().max(MAX_GENERATE_CHARS);

/** A function the model may call (OpenAI's `tools[].function`). */
export const ToolDefinition = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'must be 1–64 letters, digits, _ or -'),
  description: z.string().max(10_000).optional(),
  /** A JSON schema for the arguments (an object schema). */
  parameters: z.record(z.string(), z.unknown()).optional(),
});
export type ToolDefinition = z.infer<typeof ToolDefinition>;

/** A call the model made: `arguments` is JSON text, as OpenAI sends it. */
export const ToolCall = z.strictObject({
  id: z.string().min(1).max(200),
  name: z.string().min(1).max(200),
  arguments: z.string().max(MAX_MESSAGE_CHARS),
});
export type ToolCall = z.infer<typeof ToolCall>;

export const DirectMessage = z.discriminatedUnion('role', [
  z.strictObject({ role: z.literal('system'), text: Text }),
  z.strictObject({ role: z.literal('user'), text: Text }),
  z.strictObject({ role: z.literal('assistant'), text: Text, toolCalls: z.array(ToolCall).max(64).optional() }),
  /** A tool's result, answering the assistant's call with this id. */
  z.strictObject({ role: z.literal('tool'), toolCallId: z.string().min(1).max(200), text: Text }),
]);
export type DirectMessage = z.infer<typeof DirectMessage>;

export const ResponseFormat = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  /** Any JSON object (a grammar enforces it). */
  z.strictObject({ type: z.literal('json_object') }),
  /** JSON matching this schema (node-llama-cpp's JSON-schema grammar enforces it). */
  z.strictObject({ type: z.literal('json_schema'), schema: z.record(z.string(), z.unknown()) }),
]);
export type ResponseFormat = z.infer<typeof ResponseFormat>;

export const ToolChoice = z.union([z.enum(['auto', 'none', 'required']), z.strictObject({ name: z.string().min(1).max(64) })]);
export type ToolChoice = z.infer<typeof ToolChoice>;

/** Sampling and shape of one answer; left out means Burrow's settings. */
export const DirectOptions = z.strictObject({
  maxTokens: z.number().int().positive().max(1_000_000).optional(),
  temperature: z.number().min(0).max(2).optional(),
  topP: z.number().min(0).max(1).optional(),
  /** The answer ends before any of these (not included in it). */
  stop: z.array(z.string().min(1).max(500)).max(8).optional(),
  seed: z.number().int().optional(),
  responseFormat: ResponseFormat.optional(),
  tools: z.array(ToolDefinition).max(128).optional(),
  toolChoice: ToolChoice.optional(),
});
export type DirectOptions = z.infer<typeof DirectOptions>;

/** Why an answer ended, as OpenAI reports it. */
export const FinishReason = z.enum(['stop', 'length', 'tool_calls']);
export type FinishReason = z.infer<typeof FinishReason>;

/** What `generate.chat` / `generate.text` answer at once; the text follows as events. */
export const DirectStarted = z.strictObject({
  generationId: z.string().min(1).max(64),
  /** The model answering (its library id and file name). */
  model: z.strictObject({ id: z.string(), name: z.string() }),
});
export type DirectStarted = z.infer<typeof DirectStarted>;

export const EmbedInput = z.strictObject({
  texts: z.array(z.string().max(MAX_MESSAGE_CHARS)).min(1).max(256),
  /** A model file from the library to embed with; default the loaded model. */
  modelPath: z.string().min(1).max(MAX_PATH_CHARS).optional(),
});

export const EmbedResult = z.strictObject({
  model: z.strictObject({ id: z.string(), name: z.string() }),
  vectors: z.array(z.array(z.number())),
  /** Tokens in all the texts, with the embedding model's tokenizer. */
  promptTokens: z.number().int().nonnegative(),
});
export type EmbedResult = z.infer<typeof EmbedResult>;
