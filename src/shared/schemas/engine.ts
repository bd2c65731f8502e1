/**
 * The contract's schemas for the engine: its state, the loaded model, and how a generation ended.
 * Pure TypeScript: no Node, Electron or DOM imports.
 */
import { z } from 'zod';
import { ErrorValueSchema } from './common';

/** A LoRA adapter applied to the loaded model's context: its file, scale and name (general.name, for the chip). */
export const AppliedAdapter = z.strictObject({
  path: z.string().min(1).max(4096),
  scale: z.number().min(0).max(2),
  name: z.string().max(400),
});
export type AppliedAdapter = z.infer<typeof AppliedAdapter>;

export const ModelInfo = z.strictObject({
  path: z.string(),
  name: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  contextSize: z.number().int().nonnegative(),
  /** 'metal' | 'cuda' | 'vulkan' | 'cpu' */
  backend: z.string(),
  threads: z.number().int().nonnegative(),
  /**
   * LoRA adapters on the context now (absent or empty: none). While state is 'applying', the
   * ones being applied: the UI says "Applying adapter <name>…".
   */
  adapters: z.array(AppliedAdapter).optional(),
});
export type ModelInfo = z.infer<typeof ModelInfo>;

/** 'applying': the context is being rebuilt with other LoRA adapters before an answer (model.adapters names them). */
export const EngineState = z.enum(['idle', 'starting', 'loading', 'applying', 'ready', 'generating', 'stopped', 'error']);
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
