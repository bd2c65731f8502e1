/**
 * The memory estimate, computed with real node-llama-cpp (in this process, as the engine does)
 * for the suite's tiny models, against a machine with plenty of memory and one with almost none.
 */
import { getLlama, type Llama } from 'node-llama-cpp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { estimateMemory, hardwareReport, warningFor } from '../../src/core/engine/memory-estimate';
import { streamingModelPath, tinyModelPath } from '../support/tiny-model';

let llama: Llama;

beforeAll(async () => {
  llama = await getLlama({ gpu: false, build: 'never' });
});

afterAll(async () => {
  await llama.dispose();
});

const GB = 1024 ** 3;

describe('memory estimate', () => {
  it('adds up weights and the KV cache for the context a load would use', async () => {
    const estimate = await estimateMemory({ llama, path: streamingModelPath(), settings: {}, reclaimableBytes: 0, memory: { totalRam: 16 * GB, freeRam: 8 * GB } });
    expect(estimate).toMatchObject({ contextSize: 2048, fits: true, warning: null, gpuLayersThatFit: null, freeRamBytes: 8 * GB, totalRamBytes: 16 * GB });
    expect(estimate.weightsBytes).toBeGreaterThan(1_000_000);
    expect(estimate.kvCacheBytes).toBeGreaterThan(0);
    expect(estimate.totalBytes).toBe(estimate.weightsBytes + estimate.kvCacheBytes);

    // One conversation is kept on the CPU by default (the others come back from saved state).
    const moreSessions = await estimateMemory({ llama, path: streamingModelPath(), settings: { maxSessions: 2 }, reclaimableBytes: 0, memory: { totalRam: 16 * GB, freeRam: 8 * GB } });
    expect(moreSessions.kvCacheBytes).toBeGreaterThan(estimate.kvCacheBytes);
  });

  it('counts LoRA adapter tensors beside the weights, and they can tip a tight fit', async () => {
    const memory = { totalRam: 16 * GB, freeRam: 8 * GB };
    const plain = await estimateMemory({ llama, path: streamingModelPath(), settings: {}, reclaimableBytes: 0, memory });
    expect(plain.adapterBytes).toBe(0);
    const adapted = await estimateMemory({ llama, path: streamingModelPath(), settings: {}, reclaimableBytes: 0, memory, adapterBytes: 300 * 1024 ** 2 });
    expect(adapted.adapterBytes).toBe(300 * 1024 ** 2);
    expect(adapted.totalBytes).toBe(plain.totalBytes + 300 * 1024 ** 2);

    // Exactly room for the weights and the full context without adapters: with them, the context must shrink.
    const tight = { totalRam: 16 * GB, freeRam: plain.weightsBytes + plain.kvCacheBytes * 1.05, freeSwap: 0 };
    expect(await estimateMemory({ llama, path: streamingModelPath(), settings: {}, reclaimableBytes: 0, memory: tight })).toMatchObject({ contextSize: 2048, fits: true });
    const squeezed = await estimateMemory({ llama, path: streamingModelPath(), settings: {}, reclaimableBytes: 0, memory: tight, adapterBytes: plain.kvCacheBytes / 2 });
    expect(squeezed.contextSize).toBeLessThan(2048);
  });

  it('says plainly when a model will not fit, and counts the loaded model\'s memory as free', async () => {
    const tight = await estimateMemory({ llama, path: streamingModelPath(), settings: {}, reclaimableBytes: 0, memory: { totalRam: 16 * GB, freeRam: 1024, freeSwap: 0 } });
    expect(tight.fits).toBe(false);
    expect(tight.warning).toMatch(/needs about .* of memory .* but only .* is free/);

    const afterUnload = await estimateMemory({ llama, path: streamingModelPath(), settings: {}, reclaimableBytes: 4 * GB, memory: { totalRam: 16 * GB, freeRam: 1024, freeSwap: 0 } });
    expect(afterUnload.fits).toBe(true);
  });

  it('shrinks the automatic context to fit, and says so', async () => {
    const roomy = await estimateMemory({ llama, path: streamingModelPath(), settings: {}, reclaimableBytes: 0, memory: { totalRam: 16 * GB, freeRam: 8 * GB } });
    // Room for the weights and about half of the full context's cache.
    const memory = { totalRam: 16 * GB, freeRam: roomy.weightsBytes + roomy.kvCacheBytes / 2, freeSwap: 0 };
    const squeezed = await estimateMemory({ llama, path: streamingModelPath(), settings: {}, reclaimableBytes: 0, memory });
    expect(squeezed.fits).toBe(true);
    expect(squeezed.contextSize).toBeLessThan(2048);
    expect(squeezed.contextSize).toBeGreaterThanOrEqual(256);
    expect(squeezed.warning).toMatch(/Burrow will use a .*-token context instead of 2,048/);
    // Unless the user fixed the context size: then it fits or it does not.
    const fixedTooBig = await estimateMemory({ llama, path: streamingModelPath(), settings: { contextSize: 2048 }, reclaimableBytes: 0, memory });
    expect(fixedTooBig).toMatchObject({ fits: false, contextSize: 2048 });
    // A context the user fixed is never shrunk: it fits or it does not.
    const fixed = await estimateMemory({ llama, path: tinyModelPath(), settings: { contextSize: 1024 }, reclaimableBytes: 0, memory: { totalRam: 16 * GB, freeRam: 8 * GB } });
    expect(fixed.contextSize).toBe(1024);
  });

  it('reports the hardware', async () => {
    const report = await hardwareReport(llama, {}, null, 'prebuilt');
    expect(report.engineBuild).toBe('prebuilt');
    expect(report.backend).toBe('cpu');
    expect(report.gpuName).toBeNull();
    expect(report.vramTotal).toBeNull();
    expect(report.ramTotal).toBeGreaterThan(report.ramFree * 0.99);
    expect(report.threads).toBeLessThanOrEqual(report.cores);
    expect((await hardwareReport(llama, {}, 1, 'native')).threads).toBe(1);
  });

  it('words the GPU case', () => {
    const base = { fits: true, needed: GB, freeRam: 4 * GB, contextSize: 4096, targetContext: 4096, contextReduced: false, layerCount: 33, userChoseGpuLayers: false, onCpu: false };
    expect(warningFor({ ...base, gpuLayers: 20 })).toBe('Only 20 of 33 layers fit in the GPU\'s free memory; the rest run on the CPU, so answers will be slower.');
    expect(warningFor({ ...base, gpuLayers: 33 })).toBeNull();
    expect(warningFor({ ...base, gpuLayers: 20, userChoseGpuLayers: true })).toBeNull();
  });
});
