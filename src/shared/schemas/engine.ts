/**
 * The contract's schemas for the engine: its state, the loaded model, and how a generation ended.
 * Pure TypeScript: no Node, Electron or DOM imports.
 */
import { z } from 'zod';
import { ErrorValueSchema } from './common';

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
  /** Every token of the prompt as the model saw it, reused KV cache included (the API's usage.prompt_tokens). */
  promptTokens: z.number().int().nonnegative().optional(),
});
export type GenerationStats = z.infer<typeof GenerationStats>;
