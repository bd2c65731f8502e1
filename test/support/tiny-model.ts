/**
 * A tiny llama-architecture model (~170 KB) that real node-llama-cpp loads and runs, so the
 * engine is tested end to end without downloaded weights. Its output is gibberish built
 * from a few words; tests assert plumbing (streaming, stop, reuse, errors), not prose.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProjectRoot } from '../../src/core/process/project-root';
import { gguf, writeGgufFile, type GgmlTypeName, type GgufSpec, type GgufTensor } from './gguf-writer';

/** Bump when the model's bytes change, so cached copies are rewritten. */
export const TINY_MODEL_VERSION = 'tiny-llama-v1';

/** TinyLlama-1.1B-Chat-v1.0's (zephyr-style) chat template, verbatim. */
export const TINYLLAMA_CHAT_TEMPLATE =
  "{% for message in messages %}\n{% if message['role'] == 'user' %}\n{{ '<|user|>\n' + message['content'] + eos_token }}\n" +
  "{% elif message['role'] == 'system' %}\n{{ '<|system|>\n' + message['content'] + eos_token }}\n" +
  "{% elif message['role'] == 'assistant' %}\n{{ '<|assistant|>\n'  + message['content'] + eos_token }}\n{% endif %}\n" +
  "{% if loop.last and add_generation_prompt %}\n{{ '<|assistant|>' }}\n{% endif %}\n{% endfor %}";

/** Words the model can say, each as "▁word" (after a space) and "word" (at the start of a line). */
export const TINY_WORDS = [
  'the', 'a', 'and', 'of', 'to', 'in', 'is', 'it', 'burrow', 'rabbit', 'warm', 'quiet', 'field', 'moss', 'stone',
  'river', 'light', 'small', 'deep', 'tunnel', 'leaf', 'seed', 'rain', 'home', 'safe', 'soft', 'night', 'day',
];

export interface TinyModelOptions {
  layers?: number;
  /** Embedding width; a multiple of `heads` (and of 32 for quantized types). */
  dims?: number;
  heads?: number;
  feedForward?: number;
  contextLength?: number;
  seed?: number;
  /** Type of the 2-D weight matrices. Norms stay F32. Default F32. */
  weightType?: GgmlTypeName;
  /** general.name, what the app shows as the model's name. */
  name?: string;
}

const DEFAULTS: Required<TinyModelOptions> = {
  layers: 2,
  dims: 32,
  heads: 4,
  feedForward: 64,
  contextLength: 2048,
  seed: 42,
  weightType: 'F32',
  name: 'Burrow tiny test model',
};

// Token type ids (llama.cpp's llama_token_type).
const NORMAL = 1;
const UNKNOWN = 2;
const CONTROL = 3;
const BYTE = 6;

export interface Vocab {
  tokens: string[];
  scores: number[];
  types: number[];
}

export function buildVocab(): Vocab {
  const vocab: Vocab = { tokens: ['<unk>', '<s>', '</s>'], scores: [0, 0, 0], types: [UNKNOWN, CONTROL, CONTROL] };
  for (let byte = 0; byte < 256; byte++) {
    vocab.tokens.push(`<0x${byte.toString(16).toUpperCase().padStart(2, '0')}>`);
    vocab.scores.push(0);
    vocab.types.push(BYTE);
  }
  // ▁ alone keeps spaces round-tripping through tokenize/detokenize (node-llama-cpp warns otherwise).
  // Every prefix of every word is a piece too: SentencePiece only reaches "▁light" by merging
  // "▁l", "▁li", … so without them the model's own words would re-tokenize as bytes, and a
  // follow-up turn could not reuse the KV cache of the answer it just generated.
  const pieces = new Set<string>(['▁']);
  for (const word of TINY_WORDS) {
    for (let end = 1; end <= word.length; end++) pieces.add(`▁${word.slice(0, end)}`);
    for (let end = word.length === 1 ? 1 : 2; end <= word.length; end++) pieces.add(word.slice(0, end));
  }
  [...pieces].forEach((piece, i) => {
    vocab.tokens.push(piece);
    vocab.scores.push(-i);
    vocab.types.push(NORMAL);
  });
  return vocab;
}

/** mulberry32: small, fast, and the same numbers everywhere. */
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

/**
 * Two channels of the residual stream carry constants that no layer writes to (their rows
 * in attn_output and ffn_down are zero), so after the final RMS norm they keep their sign:
 * - BIAS_CHANNEL is 1 for every token: the output matrix uses it as a per-token bias that
 *   favours word pieces and pushes byte tokens (broken UTF-8) and control tokens (EOS
 *   would end every answer at once) far down, so random weights stream words until maxTokens.
 * - LINE_START_CHANNEL is +1 for "\n" and -1 for every other token: right after a newline
 *   (where every answer starts, after "<|assistant|>\n") the model says a word without ▁,
 *   elsewhere a word with ▁. Real models learn this; without it the answer's first word
 *   would re-tokenize differently and the next turn could not reuse the cached answer.
 */
export const BIAS_CHANNEL = 0;
const LINE_START_CHANNEL = 1;
const NEWLINE_TOKEN = 3 + 0x0a; // <0x0A>, after the three special tokens

export function tinyModelSpec(options: TinyModelOptions = {}): GgufSpec {
  const o = { ...DEFAULTS, ...options };
  const vocab = buildVocab();
  const nVocab = vocab.tokens.length;
  const random = prng(o.seed);
  const uniform = (scale: number): number => (random() * 2 - 1) * scale;

  const matrix = (name: string, inner: number, outer: number, scale: number, zeroRows: number[] = []): GgufTensor => {
    const data = new Float32Array(inner * outer);
    for (let i = 0; i < data.length; i++) data[i] = uniform(scale);
    for (const row of zeroRows) data.fill(0, row * inner, (row + 1) * inner);
    return { name, dims: [inner, outer], type: o.weightType, data };
  };
  const ones = (name: string, n: number): GgufTensor => ({ name, dims: [n], type: 'F32', data: new Float32Array(n).fill(1) });

  const embeddings = matrix('token_embd.weight', o.dims, nVocab, 0.5);
  const embeddingData = embeddings.data as Float32Array;
  for (let t = 0; t < nVocab; t++) {
    embeddingData[t * o.dims + BIAS_CHANNEL] = 1;
    embeddingData[t * o.dims + LINE_START_CHANNEL] = t === NEWLINE_TOKEN ? 1 : -1;
  }

  const output = matrix('output.weight', o.dims, nVocab, 1);
  const outputData = output.data as Float32Array;
  vocab.types.forEach((type, t) => {
    outputData[t * o.dims + BIAS_CHANNEL] = type === NORMAL ? 0 : type === BYTE ? -8 : -12;
    const piece = vocab.tokens[t] ?? '';
    outputData[t * o.dims + LINE_START_CHANNEL] = type !== NORMAL ? 0 : piece.startsWith('▁') ? -4 : 4;
  });

  const tensors: GgufTensor[] = [embeddings, ones('output_norm.weight', o.dims), output];
  const s = 1 / Math.sqrt(o.dims);
  for (let layer = 0; layer < o.layers; layer++) {
    const p = `blk.${layer}`;
    tensors.push(
      ones(`${p}.attn_norm.weight`, o.dims),
      matrix(`${p}.attn_q.weight`, o.dims, o.dims, s),
      matrix(`${p}.attn_k.weight`, o.dims, o.dims, s),
      matrix(`${p}.attn_v.weight`, o.dims, o.dims, s),
      matrix(`${p}.attn_output.weight`, o.dims, o.dims, s, [BIAS_CHANNEL, LINE_START_CHANNEL]),
      ones(`${p}.ffn_norm.weight`, o.dims),
      matrix(`${p}.ffn_gate.weight`, o.dims, o.feedForward, s),
      matrix(`${p}.ffn_up.weight`, o.dims, o.feedForward, s),
      matrix(`${p}.ffn_down.weight`, o.feedForward, o.dims, 1 / Math.sqrt(o.feedForward), [BIAS_CHANNEL, LINE_START_CHANNEL]),
    );
  }

  const metadata = {
    'general.architecture': gguf.str('llama'),
    'general.name': gguf.str(o.name),
    'general.file_type': gguf.u32(o.weightType === 'F32' ? 0 : o.weightType === 'F16' ? 1 : o.weightType === 'Q4_0' ? 2 : 7),
    'llama.context_length': gguf.u32(o.contextLength),
    'llama.embedding_length': gguf.u32(o.dims),
    'llama.block_count': gguf.u32(o.layers),
    'llama.feed_forward_length': gguf.u32(o.feedForward),
    'llama.attention.head_count': gguf.u32(o.heads),
    'llama.attention.head_count_kv': gguf.u32(o.heads),
    'llama.attention.layer_norm_rms_epsilon': gguf.f32(1e-5),
    'llama.rope.dimension_count': gguf.u32(o.dims / o.heads),
    'llama.vocab_size': gguf.u32(nVocab),
    'tokenizer.ggml.model': gguf.str('llama'),
    'tokenizer.ggml.tokens': gguf.array('string', vocab.tokens),
    'tokenizer.ggml.scores': gguf.array('f32', vocab.scores),
    'tokenizer.ggml.token_type': gguf.array('i32', vocab.types),
    'tokenizer.ggml.unknown_token_id': gguf.u32(0),
    'tokenizer.ggml.bos_token_id': gguf.u32(1),
    'tokenizer.ggml.eos_token_id': gguf.u32(2),
    'tokenizer.ggml.add_bos_token': gguf.bool(true),
    'tokenizer.ggml.add_eos_token': gguf.bool(false),
    // Real chat models learn to start an answer with a piece that has no ▁; random weights
    // cannot, and with a space prefix the answer's first word would detokenize without its
    // space and re-tokenize differently, defeating KV-cache reuse on the next turn.
    'tokenizer.ggml.add_space_prefix': gguf.bool(false),
    'tokenizer.chat_template': gguf.str(TINYLLAMA_CHAT_TEMPLATE),
  };
  return { metadata, tensors };
}

/** Writes a tiny model to `path` (atomically: readers never see half a file). */
export function writeTinyModel(path: string, options: TinyModelOptions = {}): string {
  writeGgufFile(path, tinyModelSpec(options));
  return path;
}

function cacheDir(): string {
  try {
    return join(findProjectRoot(import.meta.url), 'node_modules', '.cache', 'burrow-test');
  } catch {
    return join(tmpdir(), 'burrow-test');
  }
}

/** The shared tiny model for tests, written once per version and options. Tests must not modify it. */
export function tinyModelPath(options: TinyModelOptions = {}): string {
  const o = { ...DEFAULTS, ...options };
  const key = [TINY_MODEL_VERSION, o.layers, o.dims, o.heads, o.feedForward, o.contextLength, o.seed, o.weightType, o.name]
    .join('-')
    .replace(/[^A-Za-z0-9_.-]+/g, '_');
  const dir = cacheDir();
  const path = join(dir, `${key}.gguf`);
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    writeTinyModel(path, o);
  }
  return path;
}

/**
 * A still small (~MB) but slower model for UI tests that must see an answer stream and stop
 * it midway: a few milliseconds per token instead of a fraction of one.
 */
export function streamingModelPath(): string {
  return tinyModelPath({ layers: 4, dims: 256, heads: 8, feedForward: 512, name: 'Burrow streaming-test model' });
}
