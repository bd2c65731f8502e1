/**
 * Burrow's addon patch decode-on-the-calling-thread (scripts/engine-patches/addon/): in Burrow's own
 * engine build every decode and sampling call runs on the JavaScript thread that makes it, not on
 * a libuv worker, so a generated token costs no thread hand-offs and one thread leads every
 * computation (docs/performance.md, "Decoding on the calling thread").
 *
 * Measured on this process's threads (`/proc/self/task/<tid>/stat`; vitest runs each file in a
 * process of its own): with one compute thread, the CPU time of a generation lands on the main
 * thread. Without the patch it lands on a libuv worker and the main thread keeps only
 * node-llama-cpp's JavaScript, a fraction of it. And the event loop still takes a turn after every
 * decode. Runs on Linux where Burrow's own engine is built
 * (`npm run build:engine`); the patch's presence is checked by test/unit/packaging/engine-patches.test.ts.
 */
import { readdirSync } from 'node:fs';
import type { Llama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readStat } from '../../bench/lib/proc-cpu';
import { loadOwnBuild } from '../support/own-build';
import { tinyModelPath } from '../support/tiny-model';

/** CPU time of each of this process's threads, in ms, by thread id. */
function threadCpu(): Map<number, number> {
  const cpu = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readStat(`self/task/${tid}`);
    if (stat !== null) cpu.set(Number(tid), stat.cpuMs);
  }
  return cpu;
}

const linux = process.platform === 'linux';
let llama: Llama | null = null;

beforeAll(async () => {
  if (!linux) return;
  llama = await loadOwnBuild();
}, 120_000);

afterAll(async () => {
  await llama?.dispose();
});

describe.skipIf(!linux)('Burrow’s own engine build', () => {
  it('decodes and samples on the thread that asks, not on a libuv worker', async (test) => {
    if (llama === null) test.skip();
    // About 54 MiB of f32 weights (the huge-page test's model): a token is milliseconds of work on one thread.
    const path = tinyModelPath({ layers: 4, dims: 512, heads: 8, feedForward: 1536, contextLength: 4096, name: 'Burrow huge-page test model' });
    const model = await (llama as Llama).loadModel({ modelPath: path, useMmap: false });
    try {
      const context = await model.createContext({ contextSize: 1024, batchSize: 64, threads: 1 });
      try {
        const sequence = context.getSequence();
        const before = threadCpu();
        let generated = 0;
        for await (const token of sequence.evaluate(model.tokenize('the rabbit in the burrow'), { temperature: 0 })) {
          expect(typeof token).toBe('number');
          if (++generated === 200) break;
        }
        const after = threadCpu();
        let total = 0;
        for (const [tid, ms] of after) total += ms - (before.get(tid) ?? 0);
        const main = (after.get(process.pid) ?? 0) - (before.get(process.pid) ?? 0);
        expect(generated).toBe(200);
        // Enough work to measure at the kernel's 10 ms resolution ...
        expect(total).toBeGreaterThan(150);
        // ... and nearly all of it on the main thread (GC helpers and the like take the rest).
        expect(main / total).toBeGreaterThan(0.85);
      } finally {
        await context.dispose();
      }
    } finally {
      await model.dispose();
    }
  }, 120_000);

  it('lets the event loop take a turn after every decode, even when no other sequence waits', async (test) => {
    if (llama === null) test.skip();
    // With every sequence of a context waiting, node-llama-cpp dispatches the next batch at once:
    // settled at once too, a whole answer would run without a turn of the event loop, and a
    // cancel message would be read after its end.
    const model = await (llama as Llama).loadModel({ modelPath: tinyModelPath(), useMmap: false });
    try {
      const context = await model.createContext({ contextSize: 512, sequences: 1, threads: 1 });
      try {
        let turns = 0;
        let ticking = true;
        const tick = (): void => {
          turns++;
          if (ticking) setImmediate(tick);
        };
        setImmediate(tick);
        let generated = 0;
        for await (const token of context.getSequence().evaluate(model.tokenize('the rabbit'), { temperature: 0 })) {
          expect(typeof token).toBe('number');
          if (++generated === 100) break;
        }
        ticking = false;
        expect(generated).toBe(100);
        expect(turns).toBeGreaterThanOrEqual(generated);
      } finally {
        await context.dispose();
      }
    } finally {
      await model.dispose();
    }
  }, 120_000);
});
