/**
 * LoRA adapters (issue 17): generation speed with one adapter against without, side by side in
 * one run on the same model and engine process, and the resident memory the adapter adds.
 * The adapter is TinyLlama-shaped like the bench model: rank 16 on every layer's attention and
 * feed-forward matrices (q, k, v, o, gate, up, down), F16 — about the size of a real all-linear
 * fine-tune of TinyLlama. Every turn goes through Burrow's real path (chat.send, the
 * conversation's adapter choice, the engine rebuilding its context when the set changes);
 * rounds alternate without and with, and speed is compared per round (paired ratios).
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { gguf, writeGgufFile, type GgufTensor } from '../../test/support/gguf-writer';
import { benchCacheDir, benchText, TINYLLAMA_SHAPE } from '../model';
import { BurrowUnderTest, rssOf } from './burrow-path';
import type { Report } from './report';
import { figure, pairedRatio } from './stats';

export interface LoraOptions {
  model: string;
  rounds: number;
  generateTokens: number;
  log: (line: string) => void;
}

export const BENCH_LORA_RANK = 16;
/** The target: generation with one adapter ≥ 0.9 × without. */
const SPEED_TARGET = 0.9;

/** A TinyLlama-shaped LoRA adapter (rank 16, F16, all linear layers), written once and cached. */
export function benchLoraPath(log: (line: string) => void = () => undefined): string {
  const path = join(benchCacheDir(), `bench-lora-r${BENCH_LORA_RANK}-v1.gguf`);
  if (existsSync(path)) return path;
  const s = TINYLLAMA_SHAPE;
  const kvDims = (s.dims / s.heads) * s.kvHeads;
  const r = BENCH_LORA_RANK;
  let state = 7;
  const small = (n: number): Float32Array => {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) {
      state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
      out[i] = ((state / 4294967296) * 2 - 1) * 0.01;
    }
    return out;
  };
  const pair = (base: string, inner: number, outer: number): GgufTensor[] => [
    { name: `${base}.lora_a`, dims: [inner, r], type: 'F16', data: () => small(inner * r) },
    { name: `${base}.lora_b`, dims: [r, outer], type: 'F16', data: () => small(r * outer) },
  ];
  const tensors: GgufTensor[] = [];
  for (let layer = 0; layer < s.layers; layer++) {
    const p = `blk.${layer}`;
    tensors.push(
      ...pair(`${p}.attn_q.weight`, s.dims, s.dims),
      ...pair(`${p}.attn_k.weight`, s.dims, kvDims),
      ...pair(`${p}.attn_v.weight`, s.dims, kvDims),
      ...pair(`${p}.attn_output.weight`, s.dims, s.dims),
      ...pair(`${p}.ffn_gate.weight`, s.dims, s.feedForward),
      ...pair(`${p}.ffn_up.weight`, s.dims, s.feedForward),
      ...pair(`${p}.ffn_down.weight`, s.feedForward, s.dims),
    );
  }
  log(`writing ${path} …`);
  writeGgufFile(path, {
    metadata: {
      'general.type': gguf.str('adapter'),
      'general.architecture': gguf.str('llama'),
      'general.name': gguf.str('bench-lora-r16'),
      'adapter.type': gguf.str('lora'),
      'adapter.lora.alpha': gguf.f32(2 * r),
    },
    tensors,
  });
  return path;
}

interface Turn {
  tokensPerSecond: number;
  ttftMs: number;
}

export async function loraFigures(report: Report, options: LoraOptions): Promise<void> {
  const { model, rounds, generateTokens, log } = options;
  const adapter = benchLoraPath(log);
  const burrow = BurrowUnderTest.start(model, { temperature: 0 });
  try {
    await burrow.call('models.load', { path: model, force: true });
    const added = await burrow.call('models.addAdapter', { modelPath: model, path: burrow.assistant.grantAdapter(adapter) });
    const pid = burrow.enginePid;
    const ask = async (adapters: 'none' | 'one'): Promise<Turn> => {
      const id = await burrow.newConversation(generateTokens);
      await burrow.call('conversations.setAdapters', { id, adapters: adapters === 'none' ? [] : [{ path: added.path, scale: 1 }] });
      const turn = await burrow.turn(id, benchText(40, 3));
      await burrow.call('conversations.delete', { id });
      return { tokensPerSecond: (turn.stats.generatedTokens - 1) / (turn.streamMs / 1000), ttftMs: turn.ttftMs };
    };
    // Warm-up without the adapter: the RSS after it is the baseline.
    await ask('none');
    const rssBase = rssOf(pid);
    const without: Turn[] = [];
    const withOne: Turn[] = [];
    let rssWith = Number.NaN;
    for (let round = 0; round < rounds; round++) {
      without.push(await ask('none'));
      withOne.push(await ask('one'));
      if (round === 0) rssWith = rssOf(pid);
      log(`lora round ${round + 1}/${rounds}: ${without.at(-1)?.tokensPerSecond.toFixed(1)} tok/s without, ${withOne.at(-1)?.tokensPerSecond.toFixed(1)} with`);
    }
    const rssAfter = rssOf(pid);
    const tps = (turns: Turn[]): number[] => turns.map((turn) => turn.tokensPerSecond);
    const ratio = pairedRatio(tps(withOne), tps(without));
    report.add({
      key: 'lora_generation_ratio',
      label: `generation with one rank-${BENCH_LORA_RANK} adapter / without`,
      unit: 'ratio',
      burrow: ratio,
      baselines: { without: figure(tps(without)), with: figure(tps(withOne)) },
      target: { text: `≥ ${SPEED_TARGET}`, value: ratio.median, met: ratio.median >= SPEED_TARGET },
    });
    // The first turn with the adapter also rebuilds the context (and loads the adapter): its first token waits for that.
    report.add({ key: 'lora_ttft_switch', label: 'first token after switching to the adapter', unit: 'ms', burrow: figure(withOne.map((turn) => turn.ttftMs)), baselines: { without: figure(without.map((turn) => turn.ttftMs)) } });
    const MB = 1e6;
    report.add({
      key: 'lora_rss_added',
      label: 'engine RSS added by the adapter',
      unit: 'MB',
      burrow: figure([(rssWith - rssBase) / MB]),
      note: `adapter file ${(statSync(adapter).size / MB).toFixed(1)} MB; engine RSS ${(rssBase / MB).toFixed(0)} MB without, ${(rssWith / MB).toFixed(0)} MB after the first turn with it, ${(rssAfter / MB).toFixed(0)} MB after ${rounds} alternating rounds`,
    });
  } finally {
    await burrow.dispose();
  }
}
