/**
 * What loading a model would cost, and what the machine has: runs in the engine process, where
 * node-llama-cpp knows the backend, the GPU and its free memory. The numbers mirror what
 * LlamaEngine.load asks for (the same context size rule, sequences and mmap choice), so a
 * "fits" here means the load's own memory checks will pass too.
 */
import { freemem, totalmem } from 'node:os';
import { GgufInsights, InsufficientMemoryError, readGgufFileInfo, type Llama } from 'node-llama-cpp';
import type { HardwareReport, MemoryEstimate } from '../../shared/contract';
import { attentionShape, contextMemoryOptions } from './context-options';
import { chooseThreads, usableCores } from './threads';
import type { EngineSettings } from './types';

/** The load's context rule: the setting, else the model's training context capped at this. */
export const DEFAULT_CONTEXT_CAP = 4096;
export const DEFAULT_MAX_SESSIONS = 4;
/**
 * On CPU every kept conversation's KV cache is resident next to the weights: node-llama-cpp
 * gives each sequence a full context, and llama.cpp zeroes the whole cache at creation.
 * TinyLlama-shaped Q4_0 (591 MB file) at 2 048 tokens, measured: 4 sequences 978 MB resident
 * after a reply, 1 sequence 856 MB, each one 44 MiB of f16 cache. One is kept: a conversation
 * that leaves memory is saved to disk and comes back from there (state-store.ts) in a fraction
 * of a second, where evaluating its history again took seconds per thousand tokens.
 */
export const DEFAULT_MAX_SESSIONS_CPU = 1;

export function defaultMaxSessions(onCpu: boolean): number {
  return onCpu ? DEFAULT_MAX_SESSIONS_CPU : DEFAULT_MAX_SESSIONS;
}

export interface EstimateInput {
  llama: Llama;
  /** The llama binary is one of Burrow's own builds (it decides flash attention on CPU). Default: false, the prebuilt one. */
  ownBuild?: boolean;
  /** Already checked by the bounded GGUF validator: readGgufFileInfo never sees a hostile header. */
  path: string;
  settings: EngineSettings;
  /** Memory the loaded model gives back when this one replaces it (0 when none is loaded). */
  reclaimableBytes: number;
  /**
   * Bytes of LoRA adapter tensors applied with it (the validator's AdapterFacts.tensorBytes):
   * llama.cpp loads each adapter's tensors whole, beside the model's weights. Default 0.
   */
  adapterBytes?: number;
  /** For tests: the machine's memory (and free swap, which node-llama-cpp counts for small contexts). */
  memory?: { totalRam: number; freeRam: number; freeSwap?: number };
}

export async function estimateMemory(input: EstimateInput): Promise<MemoryEstimate> {
  const { llama, path, settings } = input;
  const fileInfo = await readGgufFileInfo(path, { sourceType: 'filesystem', spliceSplitFiles: false, logWarnings: false });
  const insights = await GgufInsights.from(fileInfo, llama);
  const resolver = insights.configurationResolver;
  const onCpu = llama.gpu === false || !llama.supportsGpuOffloading;
  // The engine loads without mmap on CPU (see LlamaEngine.load): the weights are then all resident.
  const useMmap = onCpu ? false : undefined;
  const sequences = settings.maxSessions ?? defaultMaxSessions(onCpu);
  const memory = contextMemoryOptions(settings, onCpu, attentionShape(fileInfo.architectureMetadata), input.ownBuild ?? false);
  const contextMemory = {
    ...(memory.flashAttention === undefined ? {} : { flashAttention: memory.flashAttention }),
    ...(memory.batchSize === undefined ? {} : { batchSize: memory.batchSize }),
    ...(memory.kvCacheKeyType === undefined ? {} : { kvCacheKeyType: memory.kvCacheKeyType, kvCacheValueType: memory.kvCacheValueType }),
  };
  const layerCount = insights.totalLayers > 0 ? insights.totalLayers : null;
  const trainContext = insights.trainContextSize ?? DEFAULT_CONTEXT_CAP;
  const targetContext = settings.contextSize ?? Math.min(trainContext, DEFAULT_CONTEXT_CAP);

  const totalRam = input.memory?.totalRam ?? totalmem();
  const freeRam = Math.min(totalRam, (input.memory?.freeRam ?? freemem()) + input.reclaimableBytes);
  const vram = onCpu ? null : await llama.getVramState();

  const fitting = onCpu ? null : await resolver.resolveModelGpuLayersV2('auto', { ...(useMmap === undefined ? {} : { useMmap }) });
  const gpuLayersThatFit = fitting === null ? null : fitting.gpuLayers;
  const gpuLayers = onCpu ? 0 : Math.min(settings.gpuLayers ?? gpuLayersThatFit ?? 0, insights.totalLayers);

  const weights = await insights.estimateModelResourceRequirementsV2({ gpuLayers, ...(useMmap === undefined ? {} : { useMmap }) });
  const { ram: adapterRam, vram: adapterVram } = adapterPlacement(input.adapterBytes ?? 0, onCpu, gpuLayers, insights.totalLayers);
  const weightsFit = weights.cpuRam + adapterRam <= freeRam && (vram === null || weights.gpuVram + adapterVram <= vram.free);

  // What is left for the context once the weights are in: node-llama-cpp's own check at createContext.
  const ramForContext = Math.max(0, freeRam - weights.cpuRam - adapterRam);
  let contextSize = targetContext;
  let contextFits = true;
  try {
    contextSize = await resolver.resolveContextContextSize(settings.contextSize ?? { max: targetContext }, {
      modelGpuLayers: gpuLayers,
      modelTrainContextSize: trainContext,
      sequences,
      ...contextMemory,
      ...(useMmap === undefined ? {} : { useMmap }),
      getRamState: () => Promise.resolve({ total: totalRam, free: ramForContext }),
      ...(input.memory?.freeSwap === undefined ? {} : { getSwapState: () => Promise.resolve({ total: input.memory?.freeSwap ?? 0, free: input.memory?.freeSwap ?? 0 }) }),
      ...(vram === null ? {} : { getVramState: () => Promise.resolve({ total: vram.total, free: Math.max(0, vram.free - weights.gpuVram - adapterVram), unifiedSize: vram.unifiedSize }) }),
    });
  } catch (error) {
    if (!(error instanceof InsufficientMemoryError)) throw error;
    contextFits = false;
  }
  const context = await insights.estimateContextResourceRequirementsV2({
    contextSize,
    modelGpuLayers: gpuLayers,
    sequences,
    ...contextMemory,
    ...(useMmap === undefined ? {} : { useMmap }),
  });

  const weightsBytes = weights.cpuRam + weights.gpuVram;
  const kvCacheBytes = context.cpuRam + context.gpuVram;
  const fits = weightsFit && contextFits;
  return {
    path,
    contextSize,
    weightsBytes,
    kvCacheBytes,
    adapterBytes: adapterRam + adapterVram,
    totalBytes: weightsBytes + kvCacheBytes + adapterRam + adapterVram,
    freeRamBytes: freeRam,
    totalRamBytes: totalRam,
    gpuLayersThatFit,
    layerCount,
    fits,
    warning: warningFor({
      fits,
      needed: weights.cpuRam + adapterRam + context.cpuRam,
      freeRam,
      contextSize,
      targetContext,
      contextReduced: fits && contextSize < targetContext,
      gpuLayers,
      layerCount,
      userChoseGpuLayers: settings.gpuLayers !== undefined,
      onCpu,
    }),
  };
}

/** Adapter tensors go where their base tensors are: all in RAM on the CPU; on a GPU, its share of the layers. */
function adapterPlacement(bytes: number, onCpu: boolean, gpuLayers: number, totalLayers: number): { ram: number; vram: number } {
  const vram = onCpu || totalLayers === 0 ? 0 : bytes * (gpuLayers / totalLayers);
  return { ram: bytes - vram, vram };
}

interface WarningFacts {
  fits: boolean;
  needed: number;
  freeRam: number;
  contextSize: number;
  targetContext: number;
  contextReduced: boolean;
  gpuLayers: number;
  layerCount: number | null;
  userChoseGpuLayers: boolean;
  onCpu: boolean;
}

export function warningFor(facts: WarningFacts): string | null {
  if (!facts.fits) {
    return (
      `This model needs about ${gigabytes(facts.needed)} of memory with a ${facts.targetContext.toLocaleString('en-US')}-token context, ` +
      `but only ${gigabytes(facts.freeRam)} is free. Close other apps, choose a smaller context size, or use a smaller model.`
    );
  }
  if (facts.contextReduced) {
    return `To fit in free memory, Burrow will use a ${facts.contextSize.toLocaleString('en-US')}-token context instead of ${facts.targetContext.toLocaleString('en-US')}: long conversations will forget their beginning sooner.`;
  }
  if (!facts.onCpu && !facts.userChoseGpuLayers && facts.layerCount !== null && facts.gpuLayers < facts.layerCount) {
    return `Only ${facts.gpuLayers} of ${facts.layerCount} layers fit in the GPU's free memory; the rest run on the CPU, so answers will be slower.`;
  }
  return null;
}

function gigabytes(bytes: number): string {
  const gb = bytes / 1024 ** 3;
  if (gb >= 1) return `${gb.toFixed(1)} GB`;
  return `${Math.max(1, Math.round(bytes / 1024 ** 2))} MB`;
}

export async function hardwareReport(llama: Llama, settings: EngineSettings, loadedThreads: number | null, engineBuild: HardwareReport['engineBuild']): Promise<HardwareReport> {
  const onCpu = llama.gpu === false;
  const names = onCpu ? [] : await llama.getGpuDeviceNames();
  const vram = onCpu ? null : await llama.getVramState();
  const cores = usableCores();
  return {
    backend: onCpu ? 'cpu' : String(llama.gpu),
    gpuName: names.length > 0 ? [...new Set(names)].join(', ') : null,
    vramTotal: vram?.total ?? null,
    vramFree: vram?.free ?? null,
    ramTotal: totalmem(),
    ramFree: freemem(),
    threads: loadedThreads ?? chooseThreads({ requested: settings.threads, modelBytes: Number.MAX_SAFE_INTEGER, available: cores }),
    cores,
    engineBuild,
  };
}
