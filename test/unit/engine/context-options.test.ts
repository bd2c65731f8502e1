import { GgmlType } from 'node-llama-cpp';
import { describe, expect, it } from 'vitest';
import { attentionShape, contextMemoryOptions } from '../../../src/core/engine/context-options';

const tinyLlama = attentionShape({ embedding_length: 2048, attention: { head_count: 32, head_count_kv: 4 } });

describe('context memory layout', () => {
  it('reads head sizes from key_length, else from the embedding per head', () => {
    expect(tinyLlama).toEqual({ keyLength: 64, valueLength: 64 });
    expect(attentionShape({ embedding_length: 4096, attention: { head_count: 32, key_length: 128, value_length: 96 } })).toEqual({ keyLength: 128, valueLength: 96 });
    expect(attentionShape({ embedding_length: 'x', attention: { head_count: 0 } })).toEqual({ keyLength: undefined, valueLength: undefined });
    expect(attentionShape(undefined)).toEqual({ keyLength: undefined, valueLength: undefined });
  });

  it("on CPU: flash attention on with Burrow's own build, off with the prebuilt binary; an f16 KV cache by default", () => {
    expect(contextMemoryOptions({}, true, tinyLlama, true)).toEqual({ flashAttention: true, batchSize: 256, kvCacheKeyType: GgmlType.F16, kvCacheValueType: GgmlType.F16 });
    expect(contextMemoryOptions({}, true, tinyLlama, false)).toEqual({ flashAttention: false, batchSize: 256, kvCacheKeyType: GgmlType.F16, kvCacheValueType: GgmlType.F16 });
    // q8_0 cannot quantise V without flash attention: on the prebuilt binary (off) it stays f16.
    expect(contextMemoryOptions({ kvCacheType: 'q8_0' }, true, tinyLlama, false).kvCacheKeyType).toBe(GgmlType.F16);
    expect(contextMemoryOptions({ kvCacheType: 'q8_0' }, true, tinyLlama, true).kvCacheValueType).toBe(GgmlType.Q8_0);
    expect(contextMemoryOptions({ flashAttention: true }, true, tinyLlama, false).flashAttention).toBe(true);
    expect(contextMemoryOptions({ kvCacheType: 'q8_0', flashAttention: true }, true, tinyLlama, true)).toEqual({ flashAttention: true, batchSize: 256, kvCacheKeyType: GgmlType.Q8_0, kvCacheValueType: GgmlType.Q8_0 });
  });

  it("leaves GPUs to node-llama-cpp's defaults unless told", () => {
    expect(contextMemoryOptions({}, false, tinyLlama, true)).toEqual({ flashAttention: undefined, batchSize: undefined, kvCacheKeyType: undefined, kvCacheValueType: undefined });
    expect(contextMemoryOptions({ kvCacheType: 'q8_0', flashAttention: true }, false, tinyLlama, true).kvCacheKeyType).toBe(GgmlType.Q8_0);
  });

  it('keeps f16 where q8_0 cannot work: flash attention off, or heads that are not whole q8_0 blocks', () => {
    expect(contextMemoryOptions({ flashAttention: false }, true, tinyLlama, true)).toEqual({ flashAttention: false, batchSize: 256, kvCacheKeyType: GgmlType.F16, kvCacheValueType: GgmlType.F16 });
    // The test suite's tiny model: 32 dimensions over 4 heads, 8 values per head.
    const tiny = attentionShape({ embedding_length: 32, attention: { head_count: 4 } });
    expect(contextMemoryOptions({ kvCacheType: 'q8_0', flashAttention: true }, true, tiny, true).kvCacheKeyType).toBe(GgmlType.F16);
    expect(contextMemoryOptions({ kvCacheType: 'q8_0', flashAttention: true }, true, { keyLength: undefined, valueLength: undefined }, true).kvCacheKeyType).toBe(GgmlType.F16);
  });

  it('honours the settings', () => {
    expect(contextMemoryOptions({ kvCacheType: 'f16' }, true, tinyLlama, true).kvCacheKeyType).toBe(GgmlType.F16);
    expect(contextMemoryOptions({ flashAttention: false, kvCacheType: 'q8_0' }, true, tinyLlama, true).kvCacheKeyType).toBe(GgmlType.F16);
  });
});
