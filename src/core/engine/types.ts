/**
 * The engine: node-llama-cpp in its own process, supervised by `EngineHost` (core). The host
 * does not know whether the process is an Electron utilityProcess or a Node child: it gets a
 * `SpawnEngine` from the face it runs in (main / CLI / browser host / tests).
 */
import type { z } from 'zod';
import type { EngineStatus } from '../../shared/contract';
import type { SpawnProcess } from '../process/channel';
import type { ChatTurnSchema, EngineSettingsSchema, GenerateOptionsSchema, TurnResultSchema, TurnSchema } from './protocol';

/** Starts one engine process; EngineHost calls it again after a crash. */
export type SpawnEngine = SpawnProcess;

/** Settings and turns are typed by their schemas in protocol.ts, which both processes parse with. */
export type EngineSettings = z.infer<typeof EngineSettingsSchema>;
export type KvCacheType = NonNullable<EngineSettings['kvCacheType']>;
export type ChatTurn = z.infer<typeof ChatTurnSchema>;
/** Per-request overrides of EngineSettings (a conversation's own settings). */
export type GenerateOptions = z.infer<typeof GenerateOptionsSchema>;
/** One turn to answer, as it crosses to the engine process. */
export type Turn = z.infer<typeof TurnSchema>;
/** How a turn ended, as it comes back from the engine process. */
export type GenerateResult = z.infer<typeof TurnResultSchema>;

/** A turn as the host's callers ask for it: the turn, plus what stays in this process. */
export interface GenerateRequest extends Turn {
  signal: AbortSignal;
  /** Raw text as the model produces it (the caller batches for the UI). */
  onText: (text: string) => void;
}

/** How many tokens a conversation takes in the loaded model's context (the context meter). */
export interface MeasureRequest {
  history: ChatTurn[];
  /** The conversation's own system prompt; default EngineSettings.systemPrompt. */
  systemPrompt?: string;
}

export interface MeasureResult {
  tokens: number;
  contextSize: number;
}

export type StatusListener = (status: EngineStatus) => void;
