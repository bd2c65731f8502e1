/**
 * The engine: node-llama-cpp in its own process, supervised by `EngineHost` (core). The host
 * does not know whether the process is an Electron utilityProcess or a Node child: it gets a
 * `SpawnEngine` from the face it runs in (main / CLI / browser host / tests).
 */
import type { EngineStatus, GenerationStats } from '../../shared/contract';
import type { SpawnProcess } from '../process/channel';

/** Starts one engine process; EngineHost calls it again after a crash. */
export type SpawnEngine = SpawnProcess;

export interface EngineSettings {
  /** CPU threads. Default: os.availableParallelism(), and 1 for tiny models (< 64 MB). */
  threads?: number;
  /** 'auto' lets node-llama-cpp pick Metal/CUDA/Vulkan when present; false forces CPU. Default 'auto'. */
  gpu?: 'auto' | false;
  /** Model layers offloaded to the GPU. Default: as many as fit (node-llama-cpp's 'auto'). A per-model override. */
  gpuLayers?: number;
  /** Context size in tokens. Default: the model's training context, capped at 4096. */
  contextSize?: number;
  /** Most tokens in one answer. Default 1024. */
  maxTokens?: number;
  temperature?: number;
  topP?: number;
  /** Random seed, for reproducible tests. */
  seed?: number;
  /**
   * Conversations whose KV cache is kept at once (each holds a context sequence of
   * `contextSize` tokens); the least recently used one is dropped beyond this. Default 4, and
   * 2 on CPU, where each one's cache is resident RAM (memory-estimate.ts).
   */
  maxSessions?: number;
  /** System message put before every conversation. Default: none. */
  systemPrompt?: string;
  /** Flash attention. Default on CPU: on (context-options.ts); elsewhere node-llama-cpp's choice. */
  flashAttention?: boolean;
  /** Number type of the KV cache. Default 'f16'; 'q8_0' halves it at some prompt speed (context-options.ts). */
  kvCacheType?: KvCacheType;
  /** Folder for conversations' saved evaluation state (state-store.ts). Default: none, nothing is saved. */
  stateDir?: string;
  /** Disk budget for saved states, least recently used first out. Default 2 GiB. */
  stateBudgetBytes?: number;
}

export type KvCacheType = 'f16' | 'q8_0';

export interface ChatTurn {
  role: 'user' | 'assistant';
  text: string;
}

/** Per-request overrides of EngineSettings (a conversation's own settings). */
export interface GenerateOptions {
  /** Replaces EngineSettings.systemPrompt for this conversation's session. */
  systemPrompt?: string;
  temperature?: number;
  topP?: number;
  maxTokens?: number;
}

export interface GenerateRequest {
  /** One chat session is kept per key (the conversation id), so a follow-up turn reuses the KV cache. */
  sessionKey: string;
  /** Earlier turns of the conversation, oldest first, NOT including `prompt`. */
  history: ChatTurn[];
  prompt: string;
  options?: GenerateOptions;
  signal: AbortSignal;
  /** Raw text as the model produces it (the caller batches for the UI). */
  onText: (text: string) => void;
}

export interface GenerateResult {
  text: string;
  reason: 'done' | 'cancelled';
  stats: GenerationStats;
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
