/**
 * Burrow's engine patch to the CPU buffer's clear (cpu-buffer-clear-skips-zero-pages): llama.cpp
 * clears a new context's KV cache to zero, and a plain memset made the whole cache resident at
 * once. The patched clear drops the buffer's pages (Linux `madvise`) instead of writing or
 * reading them, so a context's cache becomes resident as tokens fill it, also on kernels
 * without a shared zero page, where reading fresh memory is enough to make it resident
 * (docs/performance.md, "Engine memory").
 *
 * Measured on this process's resident set (`/proc/self/smaps_rollup`; vitest runs each file in a
 * process of its own). Runs only on Linux where Burrow's own engine is built (`npm run
 * build:engine`): the prebuilt binary CI uses has no patch to check, and the patch's presence in
 * the build is checked by test/unit/packaging/engine-patches.test.ts.
 */
import { readFileSync } from 'node:fs';
import type { Llama, LlamaModel, Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOwnBuild } from '../support/own-build';
import { buildVocab, tinyModelPath } from '../support/tiny-model';

let llama: Llama | null = null;
let model: LlamaModel | null = null;

const LAYERS = 4;
const DIMS = 256;
const CONTEXT = 8192;
/** K and V of every layer, f16: 4 × 2 × 8 192 × 256 × 2 bytes = 32 MiB. */
const KV_MIB = (LAYERS * 2 * CONTEXT * DIMS * 2) / (1024 * 1024);

beforeAll(async () => {
  if (process.platform !== 'linux') return;
  llama = await loadOwnBuild();
  if (llama === null) return;
  model = await llama.loadModel({
    modelPath: tinyModelPath({ layers: LAYERS, dims: DIMS, heads: 4, feedForward: 512, contextLength: CONTEXT, name: 'Burrow KV-clear test model' }),
  });
}, 120_000);

afterAll(async () => {
  await model?.dispose();
  await llama?.dispose();
});

function residentMiB(): number {
  const kb = /^Rss:\s+(\d+)/m.exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))?.[1];
  if (kb === undefined) throw new Error('no Rss line in /proc/self/smaps_rollup');
  return Number(kb) / 1024;
}

/** Next-token probabilities after a fixed prompt, in a new context; and the RSS its creation added. */
async function answer(loaded: LlamaModel): Promise<{ createdMiB: number; probabilities: Map<Token, number> }> {
  const before = residentMiB();
  const context = await loaded.createContext({ contextSize: CONTEXT, batchSize: 64, flashAttention: true, threads: 1 });
  try {
    const createdMiB = residentMiB() - before;
    const vocabulary = buildVocab().tokens.length;
    const prompt = Array.from({ length: 48 }, (_, i) => (259 + ((i * 7919) % (vocabulary - 259))) as Token);
    const output = await context.getSequence().controlledEvaluate(prompt.map((token, i) => (i === prompt.length - 1 ? [token, { generateNext: { probabilities: true } }] : token)));
    const probabilities = output.at(-1)?.next?.probabilities;
    if (probabilities === undefined) throw new Error('no probabilities after the prompt');
    return { createdMiB, probabilities };
  } finally {
    await context.dispose();
  }
}

describe.skipIf(process.platform !== 'linux')('the KV cache clear of Burrow’s own engine build', () => {
  it('leaves a new context’s cache out of memory until tokens are written, and every context answers alike', async (test) => {
    if (model === null) test.skip();
    const first = await answer(model as LlamaModel);
    // A memset of the cache makes all 32 MiB resident at creation; the compute and output
    // buffers add a few MiB whichever way the cache is cleared.
    expect(first.createdMiB).toBeLessThan(KV_MIB / 4);
    const values = [...first.probabilities.values()];
    expect(values.length).toBeGreaterThan(0);
    expect(values.every((p) => Number.isFinite(p) && p >= 0 && p <= 1)).toBe(true);

    // A second context, created where the first one's memory was freed, starts from the same
    // zeros: the same prompt gives the same next-token probabilities.
    const second = await answer(model as LlamaModel);
    expect([...second.probabilities.entries()]).toEqual([...first.probabilities.entries()]);
  });
});
