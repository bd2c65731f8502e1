/**
 * A tiny LoRA adapter (GGUF, general.type = adapter) for the tiny test model, written the way
 * llama.cpp's convert_lora_to_gguf.py lays one out: `<base tensor>.lora_a` ([n_in, rank]) and
 * `.lora_b` ([rank, n_out]) pairs. By default it is rank 1 on `output.weight` only, and steers
 * greedy decoding to one word: lora_a reads the model's constant bias channel (always positive
 * after the final norm, see tiny-model.ts), lora_b adds `strength` to that word's logits (both
 * "▁word" and "word", so the line-start channel still picks the right one). With the adapter,
 * the tiny model answers "rabbit rabbit rabbit …"; at scale 0 it answers as without it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProjectRoot } from '../../src/core/process/project-root';
import { gguf, writeGgufFile, type GgufSpec, type GgufTensor } from './gguf-writer';
import { BIAS_CHANNEL, buildVocab, TINY_WORDS } from './tiny-model';

export const TINY_LORA_VERSION = 'tiny-lora-v1';

export interface TinyLoraOptions {
  /** The word it steers to (one of TINY_WORDS). Default 'rabbit'. */
  word?: string;
  /** Logit added to the word at scale 1. Default 60. */
  strength?: number;
  /** general.name. Default 'rabbit-adapter'. */
  name?: string;
  /** general.architecture. Default 'llama'. */
  architecture?: string;
  /** The base model's width and layer count it is made for (the tiny model's: 32, 2). */
  dims?: number;
  layers?: number;
  /** Also add (near-zero) rank-`rank` pairs on every layer's attn_q, as real adapters have. Default true. */
  attention?: boolean;
  rank?: number;
  /** adapter.lora.alpha; null leaves it out. Default = rank (scale 1). */
  alpha?: number | null;
}

const DEFAULTS = { word: 'rabbit', strength: 60, name: 'rabbit-adapter', architecture: 'llama', dims: 32, layers: 2, attention: true, rank: 1 };

export function tinyLoraSpec(options: TinyLoraOptions = {}): GgufSpec {
  const o = { ...DEFAULTS, ...options };
  if (!TINY_WORDS.includes(o.word)) throw new RangeError(`${o.word} is not a tiny-model word`);
  const vocab = buildVocab();
  const nVocab = vocab.tokens.length;
  const a = new Float32Array(o.dims * o.rank);
  // Rank r reads the bias channel (row k of lora_a is its k-th rank vector): only the first one matters.
  a[BIAS_CHANNEL] = 1;
  const b = new Float32Array(o.rank * nVocab);
  for (const piece of [o.word, `▁${o.word}`]) {
    const token = vocab.tokens.indexOf(piece);
    b[token * o.rank] = o.strength;
  }
  const tensors: GgufTensor[] = [
    { name: 'output.weight.lora_a', dims: [o.dims, o.rank], type: 'F32', data: a },
    { name: 'output.weight.lora_b', dims: [o.rank, nVocab], type: 'F32', data: b },
  ];
  if (o.attention) {
    for (let layer = 0; layer < o.layers; layer++) {
      // lora_b is zero: present (so shapes are checked per layer) but changing nothing.
      tensors.push(
        { name: `blk.${layer}.attn_q.weight.lora_a`, dims: [o.dims, o.rank], type: 'F32', data: new Float32Array(o.dims * o.rank).fill(0.01) },
        { name: `blk.${layer}.attn_q.weight.lora_b`, dims: [o.rank, o.dims], type: 'F32', data: new Float32Array(o.rank * o.dims) },
      );
    }
  }
  const alpha = options.alpha === undefined ? o.rank : options.alpha;
  return {
    metadata: {
      'general.type': gguf.str('adapter'),
      'general.architecture': gguf.str(o.architecture),
      'general.name': gguf.str(o.name),
      'adapter.type': gguf.str('lora'),
      ...(alpha === null ? {} : { 'adapter.lora.alpha': gguf.f32(alpha) }),
    },
    tensors,
  };
}

export function writeTinyLora(path: string, options: TinyLoraOptions = {}): string {
  writeGgufFile(path, tinyLoraSpec(options));
  return path;
}

/** The shared rabbit adapter for the tiny model, written once per version and options. Tests must not modify it. */
export function tinyLoraPath(options: TinyLoraOptions = {}): string {
  const o = { ...DEFAULTS, ...options };
  const key = [TINY_LORA_VERSION, o.word, o.strength, o.name, o.architecture, o.dims, o.layers, o.attention, o.rank, options.alpha ?? 'default']
    .join('-')
    .replace(/[^A-Za-z0-9_.-]+/g, '_');
  let dir: string;
  try {
    dir = join(findProjectRoot(import.meta.url), 'node_modules', '.cache', 'burrow-test');
  } catch {
    dir = join(tmpdir(), 'burrow-test');
  }
  const path = join(dir, `${key}.gguf`);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    writeTinyLora(path, o);
  }
  return path;
}
