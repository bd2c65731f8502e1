/**
 * Burrow's engine patch weights-in-huge-pages: a model's weights in CPU memory are advised into
 * 2 MiB pages (Linux `madvise(MADV_HUGEPAGE)`) before they are read in. Every token reads all
 * the weights, and with 4 KiB pages on kernels whose transparent huge pages are "madvise" only
 * (most desktop distributions) generation ran 3–8 % slower (docs/performance.md, "Weights in
 * huge pages"). The KV cache is not advised: a context's cache must stay out of memory until
 * tokens fill it (test/integration/kv-cache-clear.test.ts).
 *
 * Measured on this process's `/proc/self/smaps_rollup` (vitest runs each file in a process of its
 * own). Runs only on Linux, with transparent huge pages not turned off, where Burrow's own engine
 * is built (`npm run build:engine`); the patch's presence in the build is checked by
 * test/unit/packaging/engine-patches.test.ts.
 */
import { readFileSync } from 'node:fs';
import type { Llama, LlamaModel } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOwnBuild } from '../support/own-build';
import { tinyModelPath } from '../support/tiny-model';

/** Transparent huge pages as the kernel offers them: always, madvise or never (null: not Linux, or not readable). */
function thpMode(): string | null {
  try {
    return /\[(\w+)\]/.exec(readFileSync('/sys/kernel/mm/transparent_hugepage/enabled', 'utf8'))?.[1] ?? null;
  } catch {
    return null;
  }
}

function smaps(field: 'Rss' | 'AnonHugePages'): number {
  const kb = new RegExp(`^${field}:\\s+(\\d+)`, 'm').exec(readFileSync('/proc/self/smaps_rollup', 'utf8'))?.[1];
  if (kb === undefined) throw new Error(`no ${field} line in /proc/self/smaps_rollup`);
  return Number(kb) / 1024;
}

const mode = process.platform === 'linux' ? thpMode() : null;
let llama: Llama | null = null;

beforeAll(async () => {
  if (mode === null || mode === 'never') return;
  llama = await loadOwnBuild();
}, 120_000);

afterAll(async () => {
  await llama?.dispose();
});

describe.skipIf(mode === null || mode === 'never')('the weights of Burrow’s own engine build', () => {
  it('sit in 2 MiB pages once loaded, and a new context’s cache does not', async (test) => {
    if (llama === null) test.skip();
    // 4 layers of 512 × 512 attention and 512 × 1 536 feed-forward matrices in f32: about 54 MiB of weights.
    const path = tinyModelPath({ layers: 4, dims: 512, heads: 8, feedForward: 1536, contextLength: 4096, name: 'Burrow huge-page test model' });
    const hugeBefore = smaps('AnonHugePages');
    const model: LlamaModel = await (llama as Llama).loadModel({ modelPath: path, useMmap: false });
    try {
      const weightsMiB = model.size / (1024 * 1024);
      const hugeWeights = smaps('AnonHugePages') - hugeBefore;
      // Each buffer loses at most its partial 2 MiB ends.
      expect(weightsMiB).toBeGreaterThan(40);
      expect(hugeWeights).toBeGreaterThan(weightsMiB - 8);
      if (mode === 'madvise') {
        // 4 layers × K and V × 4 096 cells × 512 × f16 = 32 MiB of cache, none of it advised.
        const beforeContext = smaps('AnonHugePages');
        const context = await model.createContext({ contextSize: 4096, batchSize: 64, flashAttention: true, threads: 1 });
        try {
          expect(smaps('AnonHugePages') - beforeContext).toBeLessThan(4);
        } finally {
          await context.dispose();
        }
      }
    } finally {
      await model.dispose();
    }
  });
});
