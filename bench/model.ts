/**
 * The benchmark's model: exactly TinyLlama-1.1B's architecture (22 layers, hidden 2048, 32
 * heads, 4 KV heads, feed-forward 5632, vocabulary 32 000, context 2048) with deterministic
 * random weights, written by our own GGUF writer (test/support/gguf-writer.ts) in Q4_0 or
 * Q8_0 and cached. Random weights cost the same to run as trained ones.
 *
 * Like the tiny test model, two residual channels carry constants no layer writes to, so the
 * output matrix can steer the gibberish: control and byte tokens are never picked (an answer
 * always runs to its token limit, and its text is valid UTF-8), and right after a newline the
 * model says a word without "▁", elsewhere one with it, so an answer re-tokenizes exactly
 * and the next turn reuses its KV cache.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { findProjectRoot } from '../src/core/process/project-root';
import { gguf, writeGgufFile, type GgufSpec, type GgufTensor } from '../test/support/gguf-writer';
import { TINYLLAMA_CHAT_TEMPLATE } from '../test/support/tiny-model';

/** Bump when the model's bytes change, so cached copies are rewritten. */
export const BENCH_MODEL_VERSION = 'bench-tinyllama-v1';

export type BenchQuant = 'Q4_0' | 'Q8_0';

export const TINYLLAMA_SHAPE = {
  layers: 22,
  dims: 2048,
  heads: 32,
  kvHeads: 4,
  feedForward: 5632,
  vocab: 32_000,
  contextLength: 2048,
} as const;

// Token type ids (llama.cpp's llama_token_type).
const NORMAL = 1;
const UNKNOWN = 2;
const CONTROL = 3;
const BYTE = 6;

const BIAS_CHANNEL = 0;
const LINE_START_CHANNEL = 1;
const NEWLINE_TOKEN = 3 + 0x0a;
/** Big enough to dominate any random logit after the final norm, small enough for f16 scales. */
const STEER = 1000;

const SYLLABLES = ['ra', 'bit', 'bur', 'row', 'mo', 'ss', 'fi', 'eld', 'qui', 'et', 'tun', 'nel', 'sto', 'ne', 'ri', 'ver', 'lea', 'f', 'see', 'd', 'ho', 'me', 'sa', 'fe', 'ni', 'ght', 'da', 'y', 'war', 'm'];

/** Words made of syllables, as many as it takes to fill the vocabulary with their pieces. */
export function benchWords(count: number): string[] {
  return Array.from({ length: count }, (_, i) => {
    let word = '';
    let n = i;
    do {
      word += SYLLABLES[n % SYLLABLES.length];
      n = Math.floor(n / SYLLABLES.length);
    } while (n > 0);
    return word;
  });
}

interface Vocab {
  tokens: string[];
  scores: number[];
  types: number[];
}

function buildVocab(size: number): Vocab {
  const vocab: Vocab = { tokens: ['<unk>', '<s>', '</s>'], scores: [0, 0, 0], types: [UNKNOWN, CONTROL, CONTROL] };
  for (let byte = 0; byte < 256; byte++) {
    vocab.tokens.push(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
    vocab.scores.push(0);
    vocab.types.push(BYTE);
  }
  // Every prefix of every word is a piece, so SentencePiece's merges reach each word (see tiny-model.ts).
  const pieces = new Set<string>(['▁']);
  const words = benchWords(40_000);
  for (const word of words) {
    if (pieces.size >= size - vocab.tokens.length) break;
    for (let end = 1; end <= word.length; end++) pieces.add(`▁${word.slice(0, end)}`);
    for (let end = word.length === 1 ? 1 : 2; end <= word.length; end++) pieces.add(word.slice(0, end));
  }
  for (const piece of [...pieces].slice(0, size - vocab.tokens.length)) {
    vocab.tokens.push(piece);
    vocab.scores.push(-vocab.tokens.length);
    vocab.types.push(NORMAL);
  }
  if (vocab.tokens.length !== size) throw new Error(`bench vocabulary has ${vocab.tokens.length} tokens, wanted ${size}`);
  return vocab;
}

/** mulberry32, seeded per tensor so tensors can be generated lazily, one at a time. */
function prng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

export function benchModelSpec(quant: BenchQuant): GgufSpec {
  const s = TINYLLAMA_SHAPE;
  const vocab = buildVocab(s.vocab);
  const headDim = s.dims / s.heads;
  const kvDims = headDim * s.kvHeads;

  const random = (name: string, n: number, scale: number): Float32Array => {
    const next = prng(hash(name));
    const data = new Float32Array(n);
    for (let i = 0; i < n; i++) data[i] = (next() * 2 - 1) * scale;
    return data;
  };
  const matrix = (name: string, inner: number, outer: number, scale: number, zeroRows: readonly number[] = [], finish?: (data: Float32Array) => void): GgufTensor => ({
    name,
    dims: [inner, outer],
    type: quant,
    data: () => {
      const data = random(name, inner * outer, scale);
      for (const row of zeroRows) data.fill(0, row * inner, (row + 1) * inner);
      finish?.(data);
      return data;
    },
  });
  const ones = (name: string, n: number): GgufTensor => ({ name, dims: [n], type: 'F32', data: () => new Float32Array(n).fill(1) });

  const embeddings = matrix('token_embd.weight', s.dims, s.vocab, 0.5, [], (data) => {
    for (let t = 0; t < s.vocab; t++) {
      data[t * s.dims + BIAS_CHANNEL] = 1;
      data[t * s.dims + LINE_START_CHANNEL] = t === NEWLINE_TOKEN ? 1 : -1;
    }
  });
  const output = matrix('output.weight', s.dims, s.vocab, 3 / Math.sqrt(s.dims), [], (data) => {
    vocab.types.forEach((type, t) => {
      data[t * s.dims + BIAS_CHANNEL] = type === NORMAL ? 0 : -STEER;
      const piece = vocab.tokens[t] ?? '';
      data[t * s.dims + LINE_START_CHANNEL] = type !== NORMAL ? 0 : piece.startsWith('▁') ? -STEER : STEER;
    });
  });

  const tensors: GgufTensor[] = [embeddings, ones('output_norm.weight', s.dims), output];
  const scale = 1 / Math.sqrt(s.dims);
  const protect = [BIAS_CHANNEL, LINE_START_CHANNEL];
  for (let layer = 0; layer < s.layers; layer++) {
    const p = `blk.${layer}`;
    tensors.push(
      ones(`${p}.attn_norm.weight`, s.dims),
      matrix(`${p}.attn_q.weight`, s.dims, s.dims, scale),
      matrix(`${p}.attn_k.weight`, s.dims, kvDims, scale),
      matrix(`${p}.attn_v.weight`, s.dims, kvDims, scale),
      matrix(`${p}.attn_output.weight`, s.dims, s.dims, scale * 0.5, protect),
      ones(`${p}.ffn_norm.weight`, s.dims),
      matrix(`${p}.ffn_gate.weight`, s.dims, s.feedForward, scale),
      matrix(`${p}.ffn_up.weight`, s.dims, s.feedForward, scale),
      matrix(`${p}.ffn_down.weight`, s.feedForward, s.dims, 0.5 / Math.sqrt(s.feedForward), protect),
    );
  }

  return { metadata: benchMetadata(quant, vocab), tensors };
}

/** The GGUF metadata of the bench model: TinyLlama's shape and chat template, the bench vocabulary. */
function benchMetadata(quant: BenchQuant, vocab: ReturnType<typeof buildVocab>): GgufSpec['metadata'] {
  const s = TINYLLAMA_SHAPE;
  const headDim = s.dims / s.heads;
  return {
    'general.architecture': gguf.str('llama'),
    'general.name': gguf.str(`Burrow bench TinyLlama-shaped ${quant}`),
    'general.file_type': gguf.u32(quant === 'Q4_0' ? 2 : 7),
    'llama.context_length': gguf.u32(s.contextLength),
    'llama.embedding_length': gguf.u32(s.dims),
    'llama.block_count': gguf.u32(s.layers),
    'llama.feed_forward_length': gguf.u32(s.feedForward),
    'llama.attention.head_count': gguf.u32(s.heads),
    'llama.attention.head_count_kv': gguf.u32(s.kvHeads),
    'llama.attention.layer_norm_rms_epsilon': gguf.f32(1e-5),
    'llama.rope.dimension_count': gguf.u32(headDim),
    'llama.rope.freq_base': gguf.f32(10_000),
    'llama.vocab_size': gguf.u32(s.vocab),
    'tokenizer.ggml.model': gguf.str('llama'),
    'tokenizer.ggml.tokens': gguf.array('string', vocab.tokens),
    'tokenizer.ggml.scores': gguf.array('f32', vocab.scores),
    'tokenizer.ggml.token_type': gguf.array('i32', vocab.types),
    'tokenizer.ggml.unknown_token_id': gguf.u32(0),
    'tokenizer.ggml.bos_token_id': gguf.u32(1),
    'tokenizer.ggml.eos_token_id': gguf.u32(2),
    'tokenizer.ggml.add_bos_token': gguf.bool(true),
    'tokenizer.ggml.add_eos_token': gguf.bool(false),
    'tokenizer.ggml.add_space_prefix': gguf.bool(false),
    'tokenizer.chat_template': gguf.str(TINYLLAMA_CHAT_TEMPLATE),
  };
}

export function benchCacheDir(): string {
  const dir = join(findProjectRoot(import.meta.url), 'node_modules', '.cache', 'burrow-bench');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** The cached model file for `quant`, written first if missing (about a minute per variant). */
export function benchModelPath(quant: BenchQuant, log: (line: string) => void = () => undefined): string {
  const path = join(benchCacheDir(), `${BENCH_MODEL_VERSION}-${quant}.gguf`);
  if (!existsSync(path)) {
    const started = performance.now();
    log(`writing ${path} …`);
    writeGgufFile(path, benchModelSpec(quant));
    log(`wrote ${(statSync(path).size / 1e6).toFixed(0)} MB in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  }
  return path;
}

/** Text of `words` words the bench model's tokenizer reads as one token each. */
export function benchText(words: number, seed = 1): string {
  const pool = benchWords(300);
  const next = prng(seed);
  return Array.from({ length: words }, () => pool[Math.floor(next() * pool.length)] ?? 'ra').join(' ');
}
