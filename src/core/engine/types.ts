/**
 * The engine: node-llama-cpp in its own process, supervised by `EngineHost` (core). The host
 * does not know whether the process is an Electron utilityProcess or a Node child: it gets a
 * `SpawnEngine` from the face it runs in (main / CLI / browser host / tests).
 */
import type { z } from 'zod';
import type { AppliedAdapter, ChatPrepared, EngineStatus } from '../../shared/contract';
import type { SpawnProcess } from '../process/channel';
import type { ChatTurnSchema, DirectInputSchema, DirectResultSchema, EmbeddedSchema, EngineSettingsSchema, GenerateOptionsSchema, TurnResultSchema, TurnSchema } from './protocol';
import type { DirectOptions } from '../../shared/schemas/generate';

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

/** A conversation the user opened, to have ready for its next turn (HostMessage 'prepare'). */
export interface PrepareRequest {
  sessionKey: string;
  /** The conversation's turns so far, oldest first: what its next turn's history will be. */
  history: ChatTurn[];
  /** The conversation's own system prompt; default EngineSettings.systemPrompt. */
  systemPrompt?: string;
  /** The adapters its next turn answers with; left out: whatever the context has. */
  adapters?: AppliedAdapter[];
}

/** What preparing did: the contract's ChatPrepared. */
export type PrepareResult = ChatPrepared;

/** Preparing did nothing: no model, other adapters, answers running, or nothing saved to restore. */
export const PREPARE_SKIPPED: Readonly<PrepareResult> = Object.freeze({ outcome: 'skipped', tokens: 0 });

export type StatusListener = (status: EngineStatus) => void;

/** A direct answer's input: a message list, or raw text to continue. */
export type DirectInput = z.infer<typeof DirectInputSchema>;
/** How a direct answer ended, as it comes back from the engine process. */
export type DirectResult = z.infer<typeof DirectResultSchema>;
/** Embedding vectors, with the model that made them. */
export type Embedded = z.infer<typeof EmbeddedSchema>;

/** An answer that belongs to no conversation (the local API), as EngineHost's callers ask for it. */
export interface DirectRequest {
  input: DirectInput;
  options: DirectOptions;
  /** LoRA adapters to answer with (the model's defaults); left out: whatever the context has. */
  adapters?: AppliedAdapter[];
  signal: AbortSignal;
  onText: (text: string) => void;
}
