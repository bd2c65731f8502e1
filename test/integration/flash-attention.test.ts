/**
 * Burrow's engine patch to llama.cpp's CPU flash attention (flash-attention-tiles-short-batches):
 * batches of 8 to 63 tokens now go through the tiled kernel, which computes only a partial tile's
 * valid rows. Its answers must be the ones llama.cpp computes without the patch's path: the
 * next-token probabilities after a follow-up batch over a filled cache are compared, on the real
 * engine build, with those of the per-query kernel (batches of 4, below the tiled path) and of
 * attention without flash attention.
 *
 * Runs only where Burrow's own engine is built (`npm run build:engine`); the prebuilt binary CI
 * uses has no patch to check, and the patch's presence in the build is checked by
 * test/unit/packaging/engine-patches.test.ts.
 */
import type { Llama, LlamaModel, Token } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadOwnBuild } from '../support/own-build';
import { buildVocab, tinyModelPath } from '../support/tiny-model';

let llama: Llama | null = null;
let model: LlamaModel | null = null;

beforeAll(async () => {
  llama = await loadOwnBuild();
  if (llama === null) return;
  // Heads of 64 values: the tiled kernel needs whole SIMD rows (the suite's default tiny model has 8).
  model = await llama.loadModel({ modelPath: tinyModelPath({ layers: 2, dims: 256, heads: 4, feedForward: 512, name: 'Burrow attention-test model' }) });
}, 120_000);

afterAll(async () => {
  await model?.dispose();
  await llama?.dispose();
});

const PREFIX = 600;
const FOLLOW_UP = 40;

/** Token ids of word pieces (after the 3 special and 256 byte tokens), the same every run. */
function tokens(count: number, seed: number, vocabulary: number): Token[] {
  return Array.from({ length: count }, (_, i) => (259 + ((i * 7919 + seed * 104729) % (vocabulary - 259))) as Token);
}

/** Next-token probabilities after each token of the follow-up, evaluated over the prefix. */
async function followUpProbabilities(loaded: LlamaModel, flashAttention: boolean, batchSize: number): Promise<Map<Token, number>[]> {
  const context = await loaded.createContext({ contextSize: 2048, batchSize, flashAttention, threads: 2 });
  try {
    const sequence = context.getSequence();
    const vocabulary = buildVocab().tokens.length;
    await sequence.evaluateWithoutGeneratingNewTokens(tokens(PREFIX, 1, vocabulary));
    const output = await sequence.controlledEvaluate(tokens(FOLLOW_UP, 2, vocabulary).map((token) => [token, { generateNext: { probabilities: true } }]));
    return output.map((item, i) => {
      const probabilities = item?.next?.probabilities;
      if (probabilities === undefined) throw new Error(`no probabilities for follow-up token ${i}`);
      return probabilities;
    });
  } finally {
    await context.dispose();
  }
}

/** Total variation distance: half the sum of the absolute differences, 0 (same) to 1 (disjoint). */
function distance(a: Map<Token, number>, b: Map<Token, number>): number {
  let sum = 0;
  for (const token of new Set([...a.keys(), ...b.keys()])) sum += Math.abs((a.get(token) ?? 0) - (b.get(token) ?? 0));
  return sum / 2;
}

describe("flash attention on Burrow's own engine build", () => {
  it('gives a follow-up batch the probabilities of the per-query kernel and of attention without flash', async (context) => {
    if (model === null) return context.skip();
    const tiled = await followUpProbabilities(model, true, 256);
    const perQuery = await followUpProbabilities(model, true, 4);
    const plain = await followUpProbabilities(model, false, 256);
    expect(tiled).toHaveLength(FOLLOW_UP);
    for (let i = 0; i < FOLLOW_UP; i++) {
      // Both compute in f32 (measured: at most 1e-4 apart).
      expect(distance(tiled[i]!, plain[i]!)).toBeLessThan(1e-3);
      // The per-query kernel rounds the queries and its sums to f16 (measured: at most 1e-2 apart).
      expect(distance(tiled[i]!, perQuery[i]!)).toBeLessThan(0.03);
    }
    // The comparison can tell answers apart: the model's predictions differ from token to token
    // (measured: a median of 1.0, nearly disjoint).
    const apart = tiled.slice(1).map((probabilities, i) => distance(probabilities, tiled[i]!)).sort((a, b) => a - b);
    expect(apart[Math.floor(apart.length / 2)]).toBeGreaterThan(0.5);
  }, 120_000);
});
