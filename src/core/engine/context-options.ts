/**
 * How the engine lays out a context's memory: flash attention and the KV cache's number type.
 * LlamaEngine.load and the memory estimate both use this, so an estimate matches the load.
 *
 * On CPU (docs/performance.md, "Flash attention" and "Engine memory"): flash attention is off.
 * It halves the compute buffer (153 → 70.5 MiB reserved at 512-token batches) and is as fast on
 * an empty cache, but with a conversation in the cache a follow-up's prompt ran 8 × slower
 * (llama-bench, 55 tokens at depth 1 500: 7.4 vs 59.5 tokens/s) and a 1 533-token chat's next
 * turn took 6.2 s instead of 1.0 s; off costs about 25 MB of resident memory after a reply.
 * A q8_0 KV cache would halve the cache too, but llama.cpp quantises the V cache only with flash
 * attention on, and prompt processing then ran at 0.75 × llama-bench: it stays f16 unless chosen
 * with flash attention (BURROW_KV_CACHE=q8_0 BURROW_FLASH_ATTENTION=on).
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
export const CPU_DEFAULTS: Readonly<{ flashAttention: boolean; kvCacheType: KvCacheType; batchSize: number }> = Object.freeze({
  flashAttention: false,
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

/** undefined leaves node-llama-cpp's own default (used on GPUs, which Burrow cannot measure here). */
export function contextMemoryOptions(settings: EngineSettings, onCpu: boolean, shape: AttentionShape): ContextMemoryOptions {
  const flashAttention = settings.flashAttention ?? (onCpu ? CPU_DEFAULTS.flashAttention : undefined);
  const fitsQ8 = shape.keyLength !== undefined && shape.valueLength !== undefined && shape.keyLength % Q8_0_BLOCK === 0 && shape.valueLength % Q8_0_BLOCK === 0;
  // A quantised V cache needs flash attention, and heads of whole q8_0 blocks: otherwise f16.
  const wanted = settings.kvCacheType ?? (onCpu ? CPU_DEFAULTS.kvCacheType : undefined);
  const kvCacheType = wanted === 'q8_0' && (flashAttention === false || !fitsQ8) ? 'f16' : wanted;
  const type = kvCacheType === undefined ? undefined : kvCacheType === 'q8_0' ? GgmlType.Q8_0 : GgmlType.F16;
  return { flashAttention, batchSize: onCpu ? CPU_DEFAULTS.batchSize : undefined, kvCacheKeyType: type, kvCacheValueType: type };
}
