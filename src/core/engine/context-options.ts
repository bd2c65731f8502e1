/**
 * How the engine lays out a context's memory: flash attention and the KV cache's number type.
 * LlamaEngine.load and the memory estimate both use this, so an estimate matches the load.
 *
 * On CPU (docs/performance.md, "Flash attention" and "Flash attention, again"): flash attention
 * is on with Burrow's own engine build and off with node-llama-cpp's prebuilt binary. llama.cpp's
 * CPU kernel used its fast tiled path only for batches of 64 tokens or more; a follow-up of a few
 * dozen tokens over a long conversation then ran at 0.7 x the speed without flash attention.
 * Burrow's build patches that (scripts/engine-patches/flash-attention-tiles-short-batches.diff),
 * and with it flash attention is as fast for generation, faster for prompts (the whole KV cache
 * is read once per tile of queries), and its compute buffer is half the size. The prebuilt binary
 * lacks the patch, so it keeps flash attention off.
 * A q8_0 KV cache would halve the cache too, but llama.cpp quantises the V cache only with flash
 * attention on, and prompt processing then ran at 0.75 x llama-bench: it stays f16 unless chosen
 * (BURROW_KV_CACHE=q8_0, which needs flash attention on).
 */
import { GgmlType } from 'node-llama-cpp';
import type { EngineSettings, KvCacheType } from './types';

export interface ContextMemoryOptions {
  flashAttention: boolean | undefined;
  /** Tokens evaluated per step (llama.cpp's n_batch and n_ubatch); it sizes the compute buffer. */
  batchSize: number | undefined;
  kvCacheKeyType: GgmlType | undefined;
  kvCacheValueType: GgmlType | undefined;
}

/**
 * batchSize: the compute buffer is sized for one batch and touched in full by a prompt that long.
 * 256 instead of node-llama-cpp's 512 took 25 MB off the engine's resident memory after a
 * 512-token prompt (docs/performance.md, "Engine memory").
 */
export const CPU_DEFAULTS: Readonly<{ kvCacheType: KvCacheType; batchSize: number }> = Object.freeze({
  kvCacheType: 'f16',
  batchSize: 256,
});

/** What of the model's shape decides what its KV cache can be. */
export interface AttentionShape {
  /** Values per attention head in the K and V caches. */
  keyLength: number | undefined;
  valueLength: number | undefined;
}

/** A GGUF's attention head sizes: `<arch>.attention.key_length`, else embedding_length / head_count. */
export function attentionShape(architectureMetadata: unknown): AttentionShape {
  const meta = (architectureMetadata ?? {}) as { embedding_length?: unknown; attention?: { head_count?: unknown; key_length?: unknown; value_length?: unknown } };
  const positive = (value: unknown): number | undefined => (typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : undefined);
  const embedding = positive(meta.embedding_length);
  const heads = positive(meta.attention?.head_count);
  const perHead = embedding !== undefined && heads !== undefined && embedding % heads === 0 ? embedding / heads : undefined;
  return { keyLength: positive(meta.attention?.key_length) ?? perHead, valueLength: positive(meta.attention?.value_length) ?? perHead };
}

/** q8_0 stores blocks of 32 values: each head's row must be a whole number of blocks. */
const Q8_0_BLOCK = 32;

/**
 * undefined leaves node-llama-cpp's own default (used on GPUs, which Burrow cannot measure here).
 * ownBuild: the engine runs on Burrow's own llama.cpp build (engine-build.ts), not the prebuilt one;
 * on CPU, flash attention is on exactly when the build carries the kernel patch (see above).
 */
export function contextMemoryOptions(settings: EngineSettings, onCpu: boolean, shape: AttentionShape, ownBuild: boolean): ContextMemoryOptions {
  const flashAttention = settings.flashAttention ?? (onCpu ? ownBuild : undefined);
  const fitsQ8 = shape.keyLength !== undefined && shape.valueLength !== undefined && shape.keyLength % Q8_0_BLOCK === 0 && shape.valueLength % Q8_0_BLOCK === 0;
  // A quantised V cache needs flash attention, and heads of whole q8_0 blocks: otherwise f16.
  const wanted = settings.kvCacheType ?? (onCpu ? CPU_DEFAULTS.kvCacheType : undefined);
  const kvCacheType = wanted === 'q8_0' && (flashAttention === false || !fitsQ8) ? 'f16' : wanted;
  const type = kvCacheType === undefined ? undefined : kvCacheType === 'q8_0' ? GgmlType.Q8_0 : GgmlType.F16;
  return { flashAttention, batchSize: onCpu ? CPU_DEFAULTS.batchSize : undefined, kvCacheKeyType: type, kvCacheValueType: type };
}
