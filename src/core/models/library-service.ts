/**
 * The model library as a service: the library, imports and idle unloading, and the one way a
 * model is loaded. Every model load in Burrow goes through `load` here, so every load is
 * authorised, gets its model's overrides and is checked against the machine's memory first.
 * Its procedures are in handlers/library.ts.
 */
import { existsSync, unwatchFile, watchFile, type Stats } from 'node:fs';
import { z } from 'zod';
import type { AppliedAdapter, CatalogEntry, EngineStatus, ModelLibrary as ModelLibraryValue } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import { MAX_IDLE_UNLOAD_MINUTES } from '../../shared/limits';
import type { EngineHost } from '../engine/engine-host';
import type { EngineSettings } from '../engine/types';
import { noModelError } from '../engine/no-model';
import type { EmitEvent, EventListener } from '../events/event-hub';
import { conversationModelKey } from '../store/conversation-sql';
import type { SettingsStore } from '../store/settings';
import { AdapterLibrary } from './adapters';
import { IdleUnloader } from './idle-unload';
import { missingFileMessage, ModelLibrary } from './library';
import type { ModelAccess } from './model-access';
import { ModelImports } from './model-import';

const IDLE_KEY = 'models.idleUnloadMinutes';

export interface LibraryOptions {
  access: ModelAccess;
  settings: SettingsStore;
  engine: EngineHost;
  emit: EmitEvent;
  subscribe: (listener: EventListener) => () => void;
  catalog: () => readonly CatalogEntry[];
  /** Shows a file in the system's file manager, where the host can. */
  revealFile?: ((path: string) => Promise<void>) | undefined;
  /** Answers being written now (idle unloading waits for them). */
  runningAnswers: () => number;
  /** Milliseconds in a minute for the idle timer; tests shrink it. */
  minuteMs?: number;
  /** How often the loaded model's file is checked for being deleted or moved (ms, default 2000). */
  fileCheckMs?: number;
}

export type LibraryChange = 'download' | 'import' | 'delete' | 'default' | 'overrides' | 'settings' | 'missing' | 'adapters';

export interface Library {
  readonly library: ModelLibrary;
  readonly imports: ModelImports;
  readonly access: ModelAccess;
  /** LoRA adapters per base model, model defaults and conversations' own choices. */
  readonly adapters: AdapterLibrary;
  /** The library as models.list shows it. */
  snapshot(): Promise<ModelLibraryValue>;
  /** "Unload when idle", in minutes; null: never. */
  setIdleUnload(minutes: number | null): void;
  /** A conversation's own model; null: the default. */
  conversationModel(id: string): string | null;
  setConversationModel(id: string, path: string | null): void;
  /** Loads a model the user may load, with its overrides, after checking it fits (unless `force`). */
  load(path: string, options?: { force?: boolean }): Promise<EngineStatus>;
  /**
   * Before a conversation's answer: its own model, else the loaded one, else the default. Resolves
   * with the LoRA adapters to answer with (the conversation's own, else the model's defaults).
   */
  ensureModelFor(conversationId: string | null): Promise<AppliedAdapter[]>;
  /**
   * The adapters a conversation's next answer would use, when the loaded model is the one it
   * answers with (ensureModelFor would load nothing); null otherwise. Never loads.
   */
  adaptersIfLoaded(conversationId: string): Promise<AppliedAdapter[] | null>;
  /** Tells every window to read models.list again. */
  changed(reason: LibraryChange): void;
  dispose(): Promise<void>;
}

export function createLibrary(options: LibraryOptions): Library {
  const { access, settings, engine, emit } = options;
  const library = new ModelLibrary({
    settings,
    access,
    catalog: options.catalog,
    loadedModel: () => engine.localStatus().model,
  });
  const imports = new ModelImports({ modelsDir: access.modelsDir });
  const adapters = new AdapterLibrary(settings);
  const idle = new IdleUnloader({
    unload: () => engine.unload(),
    hasModel: () => engine.localStatus().model !== null,
    isBusy: () => options.runningAnswers() > 0 || ['starting', 'loading', 'generating'].includes(engine.localStatus().state),
    ...(options.minuteMs === undefined ? {} : { minuteMs: options.minuteMs }),
    onError: (error) => console.error('[burrow] could not unload the idle model:', error),
  });
  idle.setMinutes(settings.get(IDLE_KEY, z.number().positive().max(MAX_IDLE_UNLOAD_MINUTES).nullable(), null));
  const loadedFile = new LoadedFileWatch(() => emit('library.changed', { reason: 'missing' }), options.fileCheckMs);
  const stopWatching = options.subscribe((...[name]) => {
    if (name === 'engine.state' || name === 'generation.delta' || name === 'generation.end') idle.activity();
    if (name === 'engine.state') loadedFile.follow(engine.localStatus().model?.path ?? null);
  });


  /** Loads in flight, keyed by path, options and overrides. */
  const loading = new Map<string, Promise<EngineStatus>>();

  /**
   * Loads a model. Two loads of the same model with the same options at once (the last model
   * loading at start while a summary or an answer asks for it) share one load: a second one
   * would unload the model the first just loaded, under whatever was using it.
   */
  function load(path: string, loadOptions: { force?: boolean } = {}): Promise<EngineStatus> {
    const key = JSON.stringify([path, loadOptions.force === true, library.engineOverrides(path)]);
    const pending = loading.get(key);
    if (pending !== undefined) return pending;
    const defaultAdapters = adapters.defaults(path).map((choice) => choice.path);
    const run = loadChecked(engine, access, path, library.engineOverrides(path), loadOptions, defaultAdapters).finally(() => loading.delete(key));
    loading.set(key, run);
    return run;
  }

  function conversationModel(id: string): string | null {
    return settings.get(conversationModelKey(id), z.string().max(4096).nullable(), null);
  }

  async function snapshot(): Promise<ModelLibraryValue> {
    return {
      models: await library.list(),
      modelsFolder: library.modelsDir,
      canReveal: options.revealFile !== undefined,
      idleUnloadMinutes: idle.minutes,
    };
  }

  return {
    library,
    imports,
    access,
    adapters,
    snapshot,
    setIdleUnload(minutes) {
      settings.set(IDLE_KEY, minutes);
      idle.setMinutes(minutes);
    },
    conversationModel,
    setConversationModel(id, path) {
      settings.set(conversationModelKey(id), path);
    },
    load,
    ensureModelFor: async (conversationId) => {
      await ensureModelFor({ engine, access, conversationModel, load }, conversationId);
      const loaded = engine.localStatus().model?.path ?? null;
      return loaded === null ? [] : adapters.effective(loaded, conversationId);
    },
    adaptersIfLoaded: async (conversationId) => {
      const loaded = engine.localStatus().model?.path ?? null;
      const wanted = ownModel(access, conversationModel, conversationId);
      return loaded === null || (wanted !== null && wanted !== loaded) ? null : adapters.effective(loaded, conversationId);
    },
    changed: (reason) => emit('library.changed', { reason }),
    async dispose() {
      stopWatching();
      loadedFile.follow(null);
      idle.dispose();
      await imports.dispose();
    },
  };
}

/** Loads a model after checking it fits in memory (unless `force`), and remembers it as the last one. */
async function loadChecked(
  engine: EngineHost,
  access: ModelAccess,
  path: string,
  overrides: EngineSettings,
  loadOptions: { force?: boolean },
  adapters: readonly string[],
): Promise<EngineStatus> {
  if (loadOptions.force !== true) {
    const estimate = await engine.estimate(path, overrides, adapters).catch((error: unknown) => {
      // A file the validator refuses fails the load the same way (and a stopped engine fails it too): say so now.
      if (error instanceof BurrowError && ['model_invalid', 'model_load_failed', 'not_found', 'engine_stopped'].includes(error.code)) throw error;
      // An estimate that cannot be made (an architecture node-llama-cpp cannot size) must not block loading.
      console.warn('[burrow] could not estimate the memory a model needs:', error);
      return null;
    });
    if (estimate !== null && !estimate.fits) {
      throw new BurrowError('insufficient_memory', estimate.warning ?? 'This model will not fit in the memory this computer has free.');
    }
  }
  const status = await engine.load(path, overrides);
  access.setLast(path);
  // A chosen default whose file is gone gives way to the model loaded now (the last one).
  const chosen = access.chosenDefault();
  if (chosen !== null && !existsSync(chosen)) access.setDefault(null);
  return status;
}

/**
 * Watches the loaded model's file and calls `changed` when it disappears (deleted or moved) or
 * comes back: the engine answers from memory, but the library must say the file is gone. Polls with
 * fs.watchFile, which follows a path (not an inode) and works the same on every platform.
 */
class LoadedFileWatch {
  #path: string | null = null;
  readonly #changed: () => void;
  readonly #intervalMs: number;
  readonly #listener = (current: Stats, previous: Stats): void => {
    // watchFile reports a missing file as zeroed stats; a file put back is news too.
    if ((current.mtimeMs === 0) !== (previous.mtimeMs === 0)) this.#changed();
  };

  constructor(changed: () => void, intervalMs = 2000) {
    this.#changed = changed;
    this.#intervalMs = intervalMs;
  }

  follow(path: string | null): void {
    if (path === this.#path) return;
    if (this.#path !== null) unwatchFile(this.#path, this.#listener);
    this.#path = path;
    if (path !== null) watchFile(path, { interval: this.#intervalMs, persistent: false }, this.#listener);
  }
}

interface ModelChoice {
  engine: EngineHost;
  access: ModelAccess;
  conversationModel: (id: string) => string | null;
  load: (path: string) => Promise<EngineStatus>;
}

/** The conversation's own model, if it has one the user may still load (null: the default or the loaded one). */
function ownModel(access: ModelAccess, conversationModel: (id: string) => string | null, conversationId: string | null): string | null {
  const own = conversationId === null ? null : conversationModel(conversationId);
  if (own === null) return null;
  try {
    return access.authorize(own);
  } catch {
    // Deleted or moved since it was chosen: the conversation goes back to the default.
    return null;
  }
}

/** Before a conversation's answer: its own model, else the loaded one, else the default. */
async function ensureModelFor({ engine, access, conversationModel, load }: ModelChoice, conversationId: string | null): Promise<void> {
  const loaded = engine.localStatus().model?.path ?? null;
  const wanted = ownModel(access, conversationModel, conversationId);
  if (wanted !== null) {
    if (loaded !== wanted) await load(wanted);
    return;
  }
  if (loaded !== null) return;
  const fallback = access.defaultModel();
  if (fallback === null) throw noModelError();
  if (!existsSync(fallback)) throw new BurrowError('not_found', `${missingFileMessage(fallback)} Find it again, or choose another model.`);
  await load(access.authorize(fallback));
}
