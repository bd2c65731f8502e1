/**
 * The model library: the .gguf files in Burrow's models folder plus the ones the user opened
 * from elsewhere, each described by the bounded GGUF validator (cached by path, size and
 * modification time, so listing a library of large files costs one header read per change),
 * where it came from, and its per-model load overrides. Only files in the models folder can
 * be deleted; the others are the user's own and are only ever forgotten.
 */
import { existsSync, realpathSync } from 'node:fs';
import { readdir, stat, unlink } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { z } from 'zod';
import { ModelOverrides, ModelSource, type CatalogEntry, type LibraryModel, type ModelFacts, type ModelInfo } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import type { EngineSettings } from '../engine/types';
import type { SettingsStore } from '../store/settings';
import { validateGguf, type GgufVerdict } from '../gguf/gguf-validator';
import type { ModelAccess } from './model-access';

const SOURCES_KEY = 'models.sources';
const OVERRIDES_KEY = 'models.overrides';
/** Bounds what the settings rows may grow to, whatever happens to the files. */
const MAX_REMEMBERED = 500;

const SourceRecord = z.object({ source: ModelSource, catalogId: z.string().max(64).nullable() });
const SourceMap = z.record(z.string(), SourceRecord);
const OverridesMap = z.record(z.string(), ModelOverrides);
type SourceRecord = z.infer<typeof SourceRecord>;

const NO_OVERRIDES: ModelOverrides = { gpuLayers: null, contextSize: null };

export interface ModelLibraryOptions {
  settings: SettingsStore;
  access: ModelAccess;
  /** The catalog, to recognise a downloaded file whose origin was not recorded. */
  catalog: () => readonly CatalogEntry[];
  /** The model the engine has loaded, if any. */
  loadedModel: () => ModelInfo | null;
}

interface CachedVerdict {
  size: number;
  mtimeMs: number;
  facts: ModelFacts | null;
  name: string;
  problem: string | null;
  /** A LoRA adapter in the models folder: not listed as a model (it lives under a model's Adapters). */
  adapter: boolean;
}

export class ModelLibrary {
  readonly #settings: SettingsStore;
  readonly #access: ModelAccess;
  readonly #catalog: () => readonly CatalogEntry[];
  readonly #loadedModel: () => ModelInfo | null;
  readonly #verdicts = new Map<string, CachedVerdict>();

  constructor(options: ModelLibraryOptions) {
    this.#settings = options.settings;
    this.#access = options.access;
    this.#catalog = options.catalog;
    this.#loadedModel = options.loadedModel;
  }

  get modelsDir(): string {
    return this.#access.modelsDir;
  }

  /**
   * Every model: the models folder's .gguf files, then the user's recent ones that still exist,
   * and the loaded or default model even when its file is gone (marked `fileMissing`). Loaded
   * first, then the default, then by name.
   */
  async list(): Promise<LibraryModel[]> {
    const paths = new Set<string>();
    const folder = this.modelsDir;
    const entries = await readdir(folder, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      // Hidden entries are Burrow's own work in progress (.partial downloads, .import copies).
      if (entry.isFile() && !entry.name.startsWith('.') && extname(entry.name).toLowerCase() === '.gguf') paths.add(join(folder, entry.name));
    }
    for (const path of this.#access.recent()) paths.add(path);
    const described = await Promise.all([...paths].map((path) => this.describe(path).catch(() => null)));
    const models = described.filter((model): model is LibraryModel => model !== null && this.#verdicts.get(model.path)?.adapter !== true);
    for (const path of [this.#loadedModel()?.path ?? null, this.#access.defaultModel()]) {
      if (path !== null && !existsSync(path)) models.push(this.#missing(path));
    }
    const seen = new Set<string>();
    const unique = models.filter((model) => !seen.has(model.path) && seen.add(model.path));
    const rank = (model: LibraryModel): number => (model.isLoaded ? 0 : model.isDefault ? 1 : 2);
    return unique.sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name) || a.path.localeCompare(b.path));
  }

  /** One model as the library shows it. Throws not_found when the file is gone. */
  async describe(path: string): Promise<LibraryModel> {
    const real = realOrNotFound(path);
    const facts = await stat(real);
    if (!facts.isFile()) throw new BurrowError('model_invalid', `"${basename(real)}" is not a regular file.`);
    const verdict = await this.#verdict(real, facts.size, facts.mtimeMs);
    const inModelsFolder = this.isInModelsFolder(real);
    const origin = this.#origin(real, inModelsFolder);
    return {
      path: real,
      fileName: basename(real),
      name: verdict.name,
      sizeBytes: facts.size,
      modifiedAt: Math.max(0, Math.round(facts.mtimeMs)),
      source: origin.source,
      catalogId: origin.catalogId,
      inModelsFolder,
      facts: verdict.facts,
      problem: verdict.problem,
      isDefault: this.#access.defaultModel() === real,
      isLoaded: this.#loadedModel()?.path === real,
      fileMissing: false,
      overrides: this.overrides(real),
    };
  }

  /** A model whose file is gone, as far as it is still known: from the engine while loaded, else from what was read of it before. */
  #missing(path: string): LibraryModel {
    const loaded = this.#loadedModel();
    const engineSays = loaded?.path === path ? loaded : null;
    const cached = this.#verdicts.get(path);
    const inModelsFolder = this.isInModelsFolder(path);
    const origin = this.#origin(path, inModelsFolder);
    return {
      path,
      fileName: basename(path),
      name: engineSays?.name ?? cached?.name ?? basename(path).replace(/\.gguf$/i, ''),
      sizeBytes: engineSays?.sizeBytes ?? cached?.size ?? 0,
      modifiedAt: 0,
      source: origin.source,
      catalogId: origin.catalogId,
      inModelsFolder,
      facts: null,
      problem: missingFileMessage(path),
      isDefault: this.#access.defaultModel() === path,
      isLoaded: engineSays !== null,
      fileMissing: true,
      overrides: this.overrides(path),
    };
  }

  isInModelsFolder(realPath: string): boolean {
    return dirname(realPath) === this.modelsDir;
  }

  /** Remembers where a file came from (a download, an import). */
  recordSource(path: string, source: z.infer<typeof ModelSource>, catalogId: string | null = null): void {
    const sources = this.#sources();
    sources[path] = { source, catalogId };
    this.#settings.set(SOURCES_KEY, bounded(sources));
  }

  overrides(path: string): ModelOverrides {
    return this.#settings.get(OVERRIDES_KEY, OverridesMap, {})[path] ?? NO_OVERRIDES;
  }

  /** Left out keeps a value, null goes back to Burrow's choice. */
  setOverrides(path: string, patch: Partial<ModelOverrides>): ModelOverrides {
    const all = this.#settings.get(OVERRIDES_KEY, OverridesMap, {});
    const next: ModelOverrides = { ...(all[path] ?? NO_OVERRIDES), ...patch };
    if (next.gpuLayers === null && next.contextSize === null) delete all[path];
    else all[path] = next;
    this.#settings.set(OVERRIDES_KEY, bounded(all));
    return next;
  }

  /** The overrides as engine settings for a load. */
  engineOverrides(path: string): EngineSettings {
    const { gpuLayers, contextSize } = this.overrides(path);
    return { ...(gpuLayers !== null ? { gpuLayers } : {}), ...(contextSize !== null ? { contextSize } : {}) };
  }

  /**
   * Deletes a model file from the models folder and forgets it. Anything outside the folder is
   * refused (Burrow never deletes the user's own files). The caller unloads it first.
   */
  async delete(path: string): Promise<{ path: string; freedBytes: number }> {
    const real = realOrNotFound(path);
    if (!this.isInModelsFolder(real) || extname(real).toLowerCase() !== '.gguf') {
      throw new BurrowError('refused', `Burrow only deletes models in its own models folder (${this.modelsDir}). "${basename(real)}" stays where it is.`);
    }
    const { size } = await stat(real);
    await unlink(real);
    this.forget(real);
    return { path: real, freedBytes: size };
  }

  /** The file is gone: drop everything remembered about it. */
  forget(path: string): void {
    this.#access.forget(path);
    this.#verdicts.delete(path);
    const sources = this.#sources();
    if (path in sources) {
      delete sources[path];
      this.#settings.set(SOURCES_KEY, sources);
    }
    const overrides = this.#settings.get(OVERRIDES_KEY, OverridesMap, {});
    if (path in overrides) {
      delete overrides[path];
      this.#settings.set(OVERRIDES_KEY, overrides);
    }
  }

  #sources(): Record<string, SourceRecord> {
    return this.#settings.get(SOURCES_KEY, SourceMap, {});
  }

  #origin(real: string, inModelsFolder: boolean): SourceRecord {
    const recorded = this.#sources()[real];
    if (recorded !== undefined) return recorded;
    if (!inModelsFolder) return { source: 'disk', catalogId: null };
    const fromCatalog = this.#catalog().find((entry) => entry.file === basename(real));
    return fromCatalog !== undefined ? { source: 'download', catalogId: fromCatalog.id } : { source: 'folder', catalogId: null };
  }

  async #verdict(path: string, size: number, mtimeMs: number): Promise<CachedVerdict> {
    const cached = this.#verdicts.get(path);
    if (cached !== undefined && cached.size === size && cached.mtimeMs === mtimeMs) return cached;
    const fallbackName = basename(path).replace(/\.gguf$/i, '');
    let verdict: GgufVerdict | null = null;
    let unreadable: string | null = null;
    try {
      verdict = await validateGguf(path);
    } catch (error) {
      unreadable = `Burrow cannot read this file: ${error instanceof Error ? error.message : String(error)}`;
    }
    const described: CachedVerdict =
      verdict?.ok === true
        ? { size, mtimeMs, name: verdict.facts.name, facts: factsOf(verdict), problem: null, adapter: false }
        : { size, mtimeMs, name: fallbackName, facts: null, problem: verdict?.ok === false ? verdict.message : unreadable, adapter: verdict?.ok === false && verdict.adapter === true };
    this.#verdicts.set(path, described);
    return described;
  }
}

function factsOf(verdict: Extract<GgufVerdict, { ok: true }>): ModelFacts {
  const { facts } = verdict;
  return {
    architecture: facts.architecture,
    parameterCount: facts.parameterCount,
    quantisation: facts.quantization,
    contextLength: facts.contextLength,
    layerCount: facts.layerCount,
    hasChatTemplate: facts.hasChatTemplate,
  };
}

/** What Burrow says of a model whose file is gone: which file, and where it was. */
export function missingFileMessage(path: string): string {
  return `The model file "${basename(path)}" is gone: it was in ${dirname(path)}. It may have been deleted or moved.`;
}

function realOrNotFound(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    throw new BurrowError('not_found', `The model file "${basename(path)}" was not found. It may have been moved or deleted.`);
  }
}

/** Keeps the newest MAX_REMEMBERED entries (insertion order). */
function bounded<T>(record: Record<string, T>): Record<string, T> {
  const entries = Object.entries(record);
  return entries.length <= MAX_REMEMBERED ? record : Object.fromEntries(entries.slice(-MAX_REMEMBERED));
}
