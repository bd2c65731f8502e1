/**
 * LoRA adapters (issue 17): generation speed with one adapter against without, side by side in
 * one run on the same model and engine process, and the resident memory the adapter adds.
 * The adapter is TinyLlama-shaped like the bench model: rank 16 on every layer's attention and
 * feed-forward matrices (q, k, v, o, gate, up, down), F16 — about the size of a real all-linear
 * fine-tune of TinyLlama; and rank 16 on q and v only, the target modules PEFT picks for llama
 * by default (the commonest shape of a LoRA on the Hub). Every turn goes through Burrow's real path (chat.send, the
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

/** Which matrices an adapter changes: every linear layer, or only attention's q and v (PEFT's default for llama). */
export type LoraTargets = 'all-linear' | 'q,v';

/** A TinyLlama-shaped LoRA adapter (rank 16, F16), written once and cached. */
export function benchLoraPath(log: (line: string) => void = () => undefined, targets: LoraTargets = 'all-linear'): string {
  const path = join(benchCacheDir(), targets === 'all-linear' ? `bench-lora-r${BENCH_LORA_RANK}-v1.gguf` : `bench-lora-r${BENCH_LORA_RANK}-qv-v1.gguf`);
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
    if (targets === 'q,v') {
      tensors.push(...pair(`${p}.attn_q.weight`, s.dims, s.dims), ...pair(`${p}.attn_v.weight`, s.dims, kvDims));
      continue;
    }
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
      'general.name': gguf.str(targets === 'all-linear' ? 'bench-lora-r16' : 'bench-lora-r16-qv'),
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
  const qvAdapter = benchLoraPath(log, 'q,v');
  const burrow = BurrowUnderTest.start(model, { temperature: 0 });
  try {
    await burrow.call('models.load', { path: model, force: true });
    const added = await burrow.call('models.addAdapter', { modelPath: model, path: burrow.assistant.grantAdapter(adapter) });
    const addedQv = await burrow.call('models.addAdapter', { modelPath: model, path: burrow.assistant.grantAdapter(qvAdapter) });
    const pid = burrow.enginePid;
    const ask = async (adapters: 'none' | 'one' | 'qv'): Promise<Turn> => {
      const id = await burrow.newConversation(generateTokens);
      const path = adapters === 'qv' ? addedQv.path : added.path;
      await burrow.call('conversations.setAdapters', { id, adapters: adapters === 'none' ? [] : [{ path, scale: 1 }] });
      const turn = await burrow.turn(id, benchText(40, 3));
      await burrow.call('conversations.delete', { id });
      return { tokensPerSecond: (turn.stats.generatedTokens - 1) / (turn.streamMs / 1000), ttftMs: turn.ttftMs };
    };
    // Warm-up without the adapter: the RSS after it is the baseline.
    await ask('none');
    const rssBase = rssOf(pid);
    const without: Turn[] = [];
    const withOne: Turn[] = [];
    const withQv: Turn[] = [];
    const withoutQv: Turn[] = [];
    let rssWith = Number.NaN;
    for (let round = 0; round < rounds; round++) {
      without.push(await ask('none'));
      withOne.push(await ask('one'));
      if (round === 0) rssWith = rssOf(pid);
      withoutQv.push(await ask('none'));
      withQv.push(await ask('qv'));
      log(`lora round ${round + 1}/${rounds}: ${without.at(-1)?.tokensPerSecond.toFixed(1)} tok/s without, ${withOne.at(-1)?.tokensPerSecond.toFixed(1)} with all-linear; ${withoutQv.at(-1)?.tokensPerSecond.toFixed(1)} without, ${withQv.at(-1)?.tokensPerSecond.toFixed(1)} with q,v`);
    }
    const rssAfter = rssOf(pid);
    const tps = (turns: Turn[]): number[] => turns.map((turn) => turn.tokensPerSecond);
    const ratioQv = pairedRatio(tps(withQv), tps(withoutQv));
    report.add({
      key: 'lora_generation_ratio_qv',
      label: `generation with one rank-${BENCH_LORA_RANK} q,v adapter (PEFT's default) / without`,
      unit: 'ratio',
      burrow: ratioQv,
      baselines: { without: figure(tps(withoutQv)), with: figure(tps(withQv)) },
      target: { text: `≥ ${SPEED_TARGET}`, value: ratioQv.median, met: ratioQv.median >= SPEED_TARGET },
    });
    const ratio = pairedRatio(tps(withOne), tps(without));
    report.add({
      key: 'lora_generation_ratio',
      label: `generation with one rank-${BENCH_LORA_RANK} all-linear adapter / without`,
      unit: 'ratio',
      burrow: ratio,
      baselines: { without: figure(tps(without)), with: figure(tps(withOne)) },
      target: { text: `≥ ${SPEED_TARGET}`, value: ratio.median, met: ratio.median >= SPEED_TARGET },
      note: 'llama.cpp applies a LoRA as extra graph operations beside each matrix it changes (two small matrix products, a scale and an add): 7 matrices × 22 layers add about 600 operations to every token, and on CPU each one ends in a sync of the compute threads',
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
