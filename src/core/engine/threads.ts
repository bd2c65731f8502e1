/**
 * How many CPU threads llama.cpp gets. Measured on a 2-core machine (ENVIRONMENT.md):
 * more threads than cores is catastrophic (4 threads: 0.43 tokens/s, 2 threads: 25), and a
 * tiny model is fastest on one thread (0.035 s vs 0.64 s for 40 tokens with two), because
 * its per-token work is smaller than the cost of waking and syncing threads.
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';

/** Part of a core others must keep busy before it gets no thread of ours (threadsForLoad). */
export const TAKEN_ABOVE = 0.5;

/** Below this file size a model counts as tiny (test models, toy models). */
export const TINY_MODEL_BYTES = 64 * 1024 * 1024;

export interface ThreadChoice {
  /** The user's setting, if any. Still capped at the cores this process can use. */
  requested?: number | undefined;
  modelBytes: number;
  /** Cores this process can use. Default os.availableParallelism(). */
  available?: number;
}

/**
 * Cores this process may really use: the CPU affinity (availableParallelism) and, in a
 * container, the cgroup v2 CPU quota — containers and VMs often report more cores than they grant.
 */
export function usableCores(readCgroup: () => string | null = readCpuMax): number {
  const affinity = availableParallelism();
  const quota = parseCpuMax(readCgroup());
  return Math.max(1, quota === null ? affinity : Math.min(affinity, quota));
}

/** `cpu.max` is "max 100000" (no limit) or "<quota> <period>" in microseconds. */
export function parseCpuMax(text: string | null): number | null {
  const match = /^(\d+)\s+(\d+)/.exec(text?.trim() ?? '');
  if (!match) return null;
  const quota = Number(match[1]);
  const period = Number(match[2]);
  return period > 0 && quota > 0 ? Math.max(1, Math.ceil(quota / period)) : null;
}

function readCpuMax(): string | null {
  try {
    return readFileSync('/sys/fs/cgroup/cpu.max', 'utf8');
  } catch {
    return null;
  }
}

export function chooseThreads({ requested, modelBytes, available = usableCores() }: ThreadChoice): number {
  const cores = Math.max(1, Math.floor(available));
  if (requested !== undefined && Number.isFinite(requested)) return Math.min(cores, Math.max(1, Math.floor(requested)));
  if (modelBytes < TINY_MODEL_BYTES) return 1;
  return cores;
}

/**
 * Threads for one answer, given the cores this process may use and how many cores' worth of
 * work other programs did over the last second. llama.cpp's threads meet at a barrier several
 * hundred times per token, so a thread that waits for its core stalls all of them: beside a
 * core another program keeps busy, 2 threads generate 12 tokens/s and 1 thread 28. But a core
 * busy part of the time still pays for its thread: beside a core busy 25-40 % of the time,
 * 2 threads generated 35-40 tokens/s and 1 thread 26-31; at 50 % they tied, at 60-70 % one
 * thread won (docs/performance.md, "Threads"). So a core counts as taken once others keep it
 * more than half busy.
 */
export function threadsForLoad(cores: number, othersBusy: number): number {
  const usable = Math.max(1, Math.floor(cores));
  const busy = Number.isFinite(othersBusy) ? Math.max(0, othersBusy) : 0;
  const taken = Math.max(0, Math.ceil(busy - TAKEN_ABOVE));
  return Math.min(usable, Math.max(1, usable - taken));
}
