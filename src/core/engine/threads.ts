/**
 * How many CPU threads llama.cpp gets. Measured on a 2-core machine (ENVIRONMENT.md):
 * more threads than cores is catastrophic (4 threads: 0.43 tokens/s, 2 threads: 25), and a
 * tiny model is fastest on one thread (0.035 s vs 0.64 s for 40 tokens with two), because
 * its per-token work is smaller than the cost of waking and syncing threads.
 */
import { availableParallelism } from 'node:os';

/** Below this file size a model counts as tiny (test models, toy models). */
export const TINY_MODEL_BYTES = 64 * 1024 * 1024;

export interface ThreadChoice {
  /** The user's setting, if any. Still capped at the cores this process can use. */
  requested?: number | undefined;
  modelBytes: number;
  /** Cores this process can use. Default os.availableParallelism(). */
  available?: number;
}

export function chooseThreads({ requested, modelBytes, available = availableParallelism() }: ThreadChoice): number {
  const cores = Math.max(1, Math.floor(available));
  if (requested !== undefined && Number.isFinite(requested)) return Math.min(cores, Math.max(1, Math.floor(requested)));
  if (modelBytes < TINY_MODEL_BYTES) return 1;
  return cores;
}
