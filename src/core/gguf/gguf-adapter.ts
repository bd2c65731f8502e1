/**
 * The LoRA adapter kind of GGUF file. An adapter (llama.cpp's convert_lora_to_gguf.py) says
 * `general.type = adapter`, `adapter.type = lora`, and holds pairs of tensors named after the
 * base model's tensors: `<base>.lora_a` ([n_in, rank]) and `<base>.lora_b` ([rank, n_out]).
 * The checks here are llama.cpp's own (llama-adapter.cpp), made before it ever sees the file,
 * so a wrong adapter is refused with a message instead of failing, or aborting, in the engine.
 */
import { GgufValueType, type GgufLimits } from './gguf-format';
import { countOf, printable, tensorDims, type ParsedGguf, type TensorShapes } from './gguf-parse';
import { GgufRejection } from './gguf-reader';

/** What a valid adapter file says about itself, and the base model it implies. */
export interface AdapterFacts {
  kind: 'lora';
  version: number;
  /** general.name, or the file name without .gguf. */
  name: string;
  /** general.architecture of the base model it was trained on, e.g. 'llama'. */
  architecture: string;
  /** The LoRA rank (the largest, if pairs differ). */
  rank: number;
  /** adapter.lora.alpha, when the file has it (llama.cpp scales by alpha / rank then). */
  alpha: number | null;
  /** Number of lora_a/lora_b pairs: base tensors it changes. */
  pairCount: number;
  tensorCount: number;
  parameterCount: number;
  fileSize: number;
  /** Bytes of tensor data (what llama.cpp allocates for it). */
  tensorBytes: number;
  /** The base model's width, layer count (highest blk.N + 1) and vocabulary, as far as the shapes tell. */
  embeddingLength: number | null;
  layerCount: number | null;
  vocabularySize: number | null;
  /** Each pair: the base tensor's name and the shapes it expects (ggml order). */
  pairs: ReadonlyArray<{ base: string; a: readonly number[]; b: readonly number[] }>;
}

export type AdapterVerdict = { ok: true; facts: AdapterFacts } | { ok: false; code: 'model_invalid'; message: string };

const reject = (message: string): never => {
  throw new GgufRejection(message);
};

const text = (parsed: ParsedGguf, key: string): string | null => {
  const kept = parsed.metadata.get(key);
  return kept?.type === GgufValueType.string ? String(kept.value) : null;
};

export function isAdapter(parsed: ParsedGguf): boolean {
  return text(parsed, 'general.type') === 'adapter';
}

/** name → dimensions, for the base model side of checkAdapterFits. */
export function shapeMap(shapes: TensorShapes): Map<string, readonly number[]> {
  const map = new Map<string, readonly number[]>();
  shapes.names.forEach((name, i) => map.set(name, tensorDims(shapes, i)));
  return map;
}

/** The two dimensions of a LoRA matrix; a third or fourth must be 1. */
function matrix(name: string, dims: number[]): [number, number] {
  if (dims.slice(2).some((d) => d !== 1)) reject(`The adapter tensor "${printable(name)}" has ${dims.length} dimensions; LoRA tensors are matrices. The file is damaged.`);
  return [dims[0] ?? 1, dims[1] ?? 1];
}

const LAYER = /^blk\.(\d{1,9})\./;
/** Base tensors whose lora_a input (ne[0]) is the embedding width. */
const EMBEDDING_INPUT = /^(?:token_embd|output|blk\.\d+\.(?:attn_q|attn_k|attn_v|attn_qkv|ffn_up|ffn_gate))\.weight$/;

export function describeAdapter(parsed: ParsedGguf, fileName: string, fileSize: number, limits: GgufLimits): AdapterFacts {
  const type = text(parsed, 'general.type');
  if (type !== 'adapter') {
    if (type === null || type === 'model' || parsed.arrayLengths.has('tokenizer.ggml.tokens')) {
      reject('This is a model, not an adapter — add it under Models. An adapter is a small .gguf file made for one base model (general.type = adapter).');
    }
    reject(`This GGUF file is a "${printable(type ?? '', 40)}", not a LoRA adapter.`);
  }
  const adapterType = text(parsed, 'adapter.type');
  if (adapterType === null) reject('The adapter file does not say what kind of adapter it is (adapter.type is missing). Burrow loads LoRA adapters.');
  if (adapterType !== 'lora') reject(`This is a "${printable(adapterType ?? '', 40)}" adapter; Burrow loads LoRA adapters only.`);
  const architecture = text(parsed, 'general.architecture');
  if (architecture === null || architecture === '') reject('The adapter file does not say which model architecture it is for (general.architecture is missing). It is damaged.');

  const halves = new Map<string, { a?: number; b?: number }>();
  parsed.tensors.names.forEach((name, i) => {
    const half = name.endsWith('.lora_a') ? 'a' : name.endsWith('.lora_b') ? 'b' : null;
    if (half === null) reject(`The adapter has a tensor "${printable(name)}" that is not part of a LoRA pair (.lora_a / .lora_b). It is damaged or not a LoRA adapter.`);
    const base = name.slice(0, -'.lora_a'.length);
    const entry = halves.get(base) ?? {};
    entry[half as 'a' | 'b'] = i;
    halves.set(base, entry);
  });

  const pairs: Array<{ base: string; a: number[]; b: number[] }> = [];
  let rank = 0;
  let highestLayer = -1;
  let embeddingLength: number | null = null;
  let vocabularySize: number | null = null;
  for (const [base, { a, b }] of halves) {
    if (a === undefined || b === undefined) reject(`The adapter's LoRA pair for "${printable(base)}" is missing its ${a === undefined ? 'lora_a' : 'lora_b'} half. The file is damaged.`);
    const aDims = matrix(`${base}.lora_a`, tensorDims(parsed.tensors, a as number));
    const bDims = matrix(`${base}.lora_b`, tensorDims(parsed.tensors, b as number));
    // llama.cpp: lora_a is [n_in, rank], lora_b is [rank, n_out].
    if (aDims[1] !== bDims[0]) {
      reject(`The adapter's LoRA pair for "${printable(base)}" does not fit together (lora_a is ${aDims.join('×')}, lora_b ${bDims.join('×')}: the ranks differ). It may be in an old format llama.cpp no longer reads.`);
    }
    rank = Math.max(rank, aDims[1]);
    const layer = LAYER.exec(base);
    if (layer !== null) {
      const n = Number(layer[1]);
      if (n >= limits.maxLayers) reject(`The adapter names layer ${n}, more than any real model has (limit ${limits.maxLayers}).`);
      highestLayer = Math.max(highestLayer, n);
    }
    if (embeddingLength === null && EMBEDDING_INPUT.test(base)) embeddingLength = aDims[0];
    if (vocabularySize === null && (base === 'output.weight' || base === 'token_embd.weight')) vocabularySize = bDims[1];
    pairs.push({ base, a: aDims, b: bDims });
  }
  if (pairs.length === 0) reject('The adapter file has no LoRA tensors, so it would change nothing.');

  const alphaValue = parsed.metadata.get('adapter.lora.alpha');
  const alpha = alphaValue === undefined || typeof alphaValue.value === 'string' || alphaValue.list ? null : Number(alphaValue.value);
  const nameValue = text(parsed, 'general.name')?.trim();
  const name = nameValue !== undefined && nameValue !== '' ? nameValue : fileName.replace(/\.gguf$/i, '');
  return {
    kind: 'lora',
    version: parsed.version,
    name: printable(name, 200),
    architecture: printable(architecture as string, 64),
    rank,
    alpha: alpha !== null && Number.isFinite(alpha) ? alpha : null,
    pairCount: pairs.length,
    tensorCount: parsed.tensorCount,
    parameterCount: Number(parsed.parameterCount),
    fileSize,
    tensorBytes: Math.max(0, fileSize - parsed.dataOffset),
    embeddingLength: embeddingLength ?? countOf(parsed.metadata.get(`${architecture}.embedding_length`)),
    layerCount: highestLayer >= 0 ? highestLayer + 1 : null,
    vocabularySize,
    pairs,
  };
}

/** What the fit check needs of the base model. */
export interface BaseModelShape {
  name: string;
  architecture: string;
  embeddingLength: number | null;
  layerCount: number | null;
  shapes: ReadonlyMap<string, readonly number[]>;
}

/**
 * Null when the adapter fits the base model, else why not, naming both. The shapes decide
 * (llama.cpp's checks: each base tensor exists, lora_a.ne[0] = base.ne[0], lora_b.ne[1] = base.ne[1]).
 */
export function checkAdapterFits(adapter: AdapterFacts, base: BaseModelShape): string | null {
  const adapterSide = `This adapter ("${adapter.name}") is for ${article(adapter.architecture)} ${adapter.architecture} model${adapterSize(adapter)}`;
  const baseSide = `the model "${base.name}" is ${base.architecture}${baseSize(base)}`;
  if (adapter.architecture !== base.architecture) return `${adapterSide}; ${baseSide}. Choose a base model of the kind the adapter was made for.`;
  for (const pair of adapter.pairs) {
    const shape = base.shapes.get(pair.base);
    const fits = shape !== undefined && shape[0] === pair.a[0] && (shape[1] ?? 1) === pair.b[1] && shape.slice(2).every((d) => d === 1);
    if (!fits) {
      const detail =
        shape === undefined
          ? `the model has no tensor "${printable(pair.base)}"`
          : `"${printable(pair.base)}" is ${shape.join('×')} in the model, the adapter expects ${pair.a[0]}×${pair.b[1]}`;
      return `${adapterSide}; ${baseSide} (${detail}). It was made for a different size of model.`;
    }
  }
  return null;
}

const article = (word: string): string => (/^[aeiou]/i.test(word) ? 'an' : 'a');

function adapterSize(adapter: AdapterFacts): string {
  const parts: string[] = [];
  if (adapter.embeddingLength !== null) parts.push(`${adapter.embeddingLength}-wide layers`);
  if (adapter.layerCount !== null) parts.push(`(${adapter.layerCount === 1 ? '1 layer' : `at least ${adapter.layerCount} layers`})`);
  return parts.length === 0 ? '' : ` with ${parts.join(' ')}`;
}

function baseSize(base: BaseModelShape): string {
  const parts: string[] = [];
  if (base.embeddingLength !== null) parts.push(`${base.embeddingLength}-wide`);
  if (base.layerCount !== null) parts.push(`${base.layerCount} ${base.layerCount === 1 ? 'layer' : 'layers'}`);
  return parts.length === 0 ? '' : `, ${parts.join(', ')}`;
}
