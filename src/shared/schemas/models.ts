/**
 * The contract's schemas for the model library: files, facts, memory, hardware and imports.
 * Pure TypeScript: no Node, Electron or DOM imports.
 */
import { z } from 'zod';
import { MAX_ADAPTER_SCALE, MAX_ADAPTERS, MAX_CONTEXT_OVERRIDE, MAX_GPU_LAYERS_OVERRIDE, MAX_IDLE_UNLOAD_MINUTES, MAX_PATH_CHARS, MIN_CONTEXT_OVERRIDE } from '../limits';
import { Id, Timestamp } from './common';
import { CatalogId } from './downloads';

export const ModelPath = z.string().min(1).max(MAX_PATH_CHARS);

/**
 * Where a model file came from. 'download': Burrow's catalog. 'import': dropped on the window
 * and copied into the models folder. 'disk': opened where it lies (never copied or deleted).
 * 'folder': found in the models folder, put there by hand.
 */
export const ModelSource = z.enum(['download', 'import', 'disk', 'folder']);
export type ModelSource = z.infer<typeof ModelSource>;

/** What the file says about itself (read by the bounded GGUF validator, never by llama.cpp). */
export const ModelFacts = z.strictObject({
  /** general.architecture, e.g. "llama". */
  architecture: z.string(),
  parameterCount: z.number().int().nonnegative(),
  /** e.g. "Q4_K_M". */
  quantisation: z.string(),
  /** The context the model was trained with, in tokens. */
  contextLength: z.number().int().nonnegative().nullable(),
  layerCount: z.number().int().nonnegative().nullable(),
  hasChatTemplate: z.boolean(),
});
export type ModelFacts = z.infer<typeof ModelFacts>;

/** Per-model load settings; null means "Burrow decides" (all layers that fit; the default context). */
export const ModelOverrides = z.strictObject({
  gpuLayers: z.number().int().min(0).max(MAX_GPU_LAYERS_OVERRIDE).nullable(),
  contextSize: z.number().int().min(MIN_CONTEXT_OVERRIDE).max(MAX_CONTEXT_OVERRIDE).nullable(),
});
export type ModelOverrides = z.infer<typeof ModelOverrides>;

export const LibraryModel = z.strictObject({
  path: z.string(),
  fileName: z.string(),
  /** general.name, else the file name without .gguf. */
  name: z.string(),
  sizeBytes: z.number().int().nonnegative(),
  modifiedAt: Timestamp,
  source: ModelSource,
  /** The catalog entry it was downloaded from, when known. */
  catalogId: CatalogId.nullable(),
  /** In Burrow's models folder: models.delete may remove it. Files elsewhere are only forgotten, never deleted. */
  inModelsFolder: z.boolean(),
  /** null when the file is not a valid model (see `problem`). */
  facts: ModelFacts.nullable(),
  /** Why the file cannot be loaded (the validator's verdict), else null. */
  problem: z.string().nullable(),
  /** The model loaded at start and for conversations without their own choice. */
  isDefault: z.boolean(),
  isLoaded: z.boolean(),
  /**
   * The file is no longer where it was (deleted or moved). Such a model is listed only while it
   * is loaded (it answers from memory until unloaded) or remembered as the default; `problem`
   * then says so, `facts` is null and `sizeBytes` is what it was when known (else 0).
   */
  fileMissing: z.boolean(),
  overrides: ModelOverrides,
});
export type LibraryModel = z.infer<typeof LibraryModel>;

export const ModelLibrary = z.strictObject({
  /** Loaded first, then the default, then by name. */
  models: z.array(LibraryModel),
  /** Where downloaded and imported models are kept. */
  modelsFolder: z.string(),
  /** The host can show a file in the system's file manager (the app can; the browser host cannot). */
  canReveal: z.boolean(),
  /** "Unload when idle": minutes without activity before the model is unloaded; null: never. */
  idleUnloadMinutes: z.number().positive().max(MAX_IDLE_UNLOAD_MINUTES).nullable(),
});
export type ModelLibrary = z.infer<typeof ModelLibrary>;

/** What loading a model would take, against what the machine has (computed in the engine process). */
export const MemoryEstimate = z.strictObject({
  path: z.string(),
  /** The context size (tokens per conversation) the estimate is for: the one a load would use. */
  contextSize: z.number().int().positive(),
  /** Model weights, in RAM and VRAM together. */
  weightsBytes: z.number().nonnegative(),
  /** KV cache and compute buffers for `contextSize`, for every conversation kept at once. */
  kvCacheBytes: z.number().nonnegative(),
  /** The model's default LoRA adapters' tensors (0 without adapters), loaded next to the weights. */
  adapterBytes: z.number().nonnegative(),
  totalBytes: z.number().nonnegative(),
  /** Free memory now, counting the memory the loaded model would give back. */
  freeRamBytes: z.number().nonnegative(),
  totalRamBytes: z.number().nonnegative(),
  /** Layers that fit in the GPU's free memory (all of them when it all fits); null without a GPU. */
  gpuLayersThatFit: z.number().int().nonnegative().nullable(),
  /** Layers the model has (null when it does not say). */
  layerCount: z.number().int().nonnegative().nullable(),
  fits: z.boolean(),
  /** Plain-language warning: it will not fit, or it fits only with a smaller context or fewer GPU layers. */
  warning: z.string().nullable(),
});
export type MemoryEstimate = z.infer<typeof MemoryEstimate>;

export const HardwareReport = z.strictObject({
  /** 'metal' | 'cuda' | 'vulkan' | 'cpu' */
  backend: z.string(),
  gpuName: z.string().nullable(),
  vramTotal: z.number().nonnegative().nullable(),
  vramFree: z.number().nonnegative().nullable(),
  ramTotal: z.number().nonnegative(),
  ramFree: z.number().nonnegative(),
  /** CPU threads a model runs on (the loaded one's, else what a large model would get); fewer while other programs keep cores busy. */
  threads: z.number().int().positive(),
  /** The llama.cpp binary: Burrow's own build ('native' for this CPU, 'portable') or node-llama-cpp's prebuilt one. */
  engineBuild: z.enum(['native', 'portable', 'prebuilt']),
  /** Why Burrow's own build is not used on this computer: it crashed here (build-fallback.ts). Absent when it is, or never failed. */
  engineFallback: z.string().max(1000).optional(),
  /** CPU cores Burrow may use (the container's quota counts). */
  cores: z.number().int().positive(),
});
export type HardwareReport = z.infer<typeof HardwareReport>;

/** How strongly an adapter is applied: 0 (off) to 2; 1 is the adapter as trained. */
export const AdapterScale = z.number().min(0).max(MAX_ADAPTER_SCALE);

/** One adapter to apply, by the path it was added under (models.addAdapter), with its scale. */
export const AdapterChoice = z.strictObject({ path: ModelPath, scale: AdapterScale });
export type AdapterChoice = z.infer<typeof AdapterChoice>;

/** Adapters applied together (an empty list: none). Paths must be adapters added to the model that answers. */
export const AdapterChoices = z.array(AdapterChoice).max(MAX_ADAPTERS).refine((list) => new Set(list.map((a) => a.path)).size === list.length, 'lists an adapter twice');
export type AdapterChoices = z.infer<typeof AdapterChoices>;

/**
 * A LoRA adapter added to a base model (Models → a model → Adapters). The file stays where the
 * user keeps it; removing it only forgets it. Checked by the bounded validator against the base
 * model's tensor shapes every time the list is read (cached by size and modification time).
 */
export const LibraryAdapter = z.strictObject({
  path: z.string(),
  fileName: z.string(),
  /** general.name, else the file name without .gguf. */
  name: z.string(),
  /** File size in bytes (0 when the file is gone). */
  size: z.number().int().nonnegative(),
  /** The LoRA rank, from the tensor shapes; null when the file cannot be read. */
  rank: z.number().int().positive().nullable(),
  /** adapter.lora.alpha, when the file has it. */
  alpha: z.number().nullable(),
  /** general.architecture of the model it was made for (e.g. "llama"); null when unreadable. */
  baseArchitecture: z.string().nullable(),
  /** It is a valid LoRA adapter whose tensor shapes match this base model. */
  fits: z.boolean(),
  /** Why it cannot be applied (wrong model, damaged, gone); absent when it fits. */
  problem: z.string().optional(),
  /** Its scale in the model's default adapters (models.setAdapterDefaults); null when not among them. */
  defaultScale: AdapterScale.nullable(),
  fileMissing: z.boolean(),
});
export type LibraryAdapter = z.infer<typeof LibraryAdapter>;

/**
 * A conversation's own model (null: the default model) and its own adapters (null: the adapters
 * the answering model has as its default; [] : none).
 */
export const ConversationModel = z.strictObject({ id: Id, path: z.string().nullable(), adapters: AdapterChoices.nullable() });
export type ConversationModel = z.infer<typeof ConversationModel>;

export const ImportId = Id;