/**
 * The library domain of the contract: list, load and unload, default, delete, reveal, memory
 * estimate, hardware, per-model overrides, imports, per-conversation models and idle unloading.
 * Every model load in Burrow goes through `load` here, so every load is authorised, gets its
 * model's overrides and is checked against the machine's memory first.
 */
import { realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { z } from 'zod';
import type { CatalogEntry, EngineStatus, ModelLibrary as ModelLibraryValue } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import { MAX_IDLE_UNLOAD_MINUTES } from '../../shared/limits';
import type { Handlers } from '../../shared/router';
import type { EngineHost } from '../engine/engine-host';
import type { EmitEvent, EventListener } from '../events';
import { conversationModelKey } from '../store/conversation-sql';
import type { SettingsStore } from '../store/settings';
import { IdleUnloader } from './idle-unload';
import { ModelLibrary } from './library';
import type { ModelAccess } from './model-access';
import { ModelImports } from './model-import';

export type LibraryHandlerName =
  | 'models.list'
  | 'models.load'
  | 'models.openLocal'
  | 'models.setDefault'
  | 'models.delete'
  | 'models.reveal'
  | 'models.unload'
  | 'models.estimate'
  | 'models.setOverrides'
  | 'models.setIdleUnload'
  | 'models.importBegin'
  | 'models.importChunk'
  | 'models.importFinish'
  | 'models.importCancel'
  | 'engine.hardware'
  | 'conversations.getModel'
  | 'conversations.setModel';

const IDLE_KEY = 'models.idleUnloadMinutes';

export interface LibraryOptions {
  access: ModelAccess;
  settings: SettingsStore;
  engine: EngineHost;
  emit: EmitEvent;
  subscribe: (listener: EventListener) => () => void;
  catalog: () => readonly CatalogEntry[];
  /** Asks the user for a .gguf file (a dialog in the app); null when they cancel. */
  pickModelFile: () => Promise<string | null>;
  /** Shows a file in the system's file manager, where the host can. */
  revealFile?: ((path: string) => Promise<void>) | undefined;
  /** Throws not_found when the conversation does not exist. */
  assertConversation: (id: string) => void;
  /** Answers being written now (idle unloading waits for them). */
  runningAnswers: () => number;
  /** Milliseconds in a minute for the idle timer; tests shrink it. */
  minuteMs?: number;
}

export interface Library {
  readonly handlers: Pick<Handlers, LibraryHandlerName>;
  readonly library: ModelLibrary;
  readonly imports: ModelImports;
  /** Loads a model the user may load, with its overrides, after checking it fits (unless `force`). */
  load(path: string, options?: { force?: boolean }): Promise<EngineStatus>;
  /** Before a conversation's answer: its own model, else the loaded one, else the default. */
  ensureModelFor(conversationId: string | null): Promise<void>;
  /** The library changed outside these handlers (a download finished). */
  changed(reason: 'download'): void;
  dispose(): Promise<void>;
}

export function createLibrary(options: LibraryOptions): Library {
  const { access, settings, engine, emit } = options;
  const library = new ModelLibrary({
    settings,
    access,
    catalog: options.catalog,
    loadedPath: () => engine.status().model?.path ?? null,
  });
  const imports = new ModelImports({ modelsDir: access.modelsDir });
  const idle = new IdleUnloader({
    unload: () => engine.unload(),
    hasModel: () => engine.status().model !== null,
    isBusy: () => options.runningAnswers() > 0 || ['starting', 'loading', 'generating'].includes(engine.status().state),
    ...(options.minuteMs === undefined ? {} : { minuteMs: options.minuteMs }),
    onError: (error) => console.error('[burrow] could not unload the idle model:', error),
  });
  idle.setMinutes(settings.get(IDLE_KEY, z.number().positive().max(MAX_IDLE_UNLOAD_MINUTES).nullable(), null));
  const stopWatching = options.subscribe((...[name]) => {
    if (name === 'engine.state' || name === 'generation.delta' || name === 'generation.end') idle.activity();
  });

  const changed = (reason: 'download' | 'import' | 'delete' | 'default' | 'overrides' | 'settings'): void => emit('library.changed', { reason });

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
    const run = loadNow(path, loadOptions).finally(() => loading.delete(key));
    loading.set(key, run);
    return run;
  }

  async function loadNow(path: string, loadOptions: { force?: boolean }): Promise<EngineStatus> {
    const overrides = library.engineOverrides(path);
    if (loadOptions.force !== true) {
      const estimate = await engine.estimate(path, overrides).catch((error: unknown) => {
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
    return status;
  }

  function conversationModel(id: string): string | null {
    return settings.get(conversationModelKey(id), z.string().max(4096).nullable(), null);
  }

  async function ensureModelFor(conversationId: string | null): Promise<void> {
    const loaded = engine.status().model?.path ?? null;
    const own = conversationId === null ? null : conversationModel(conversationId);
    if (own !== null) {
      let wanted: string | null = null;
      try {
        wanted = access.authorize(own);
      } catch {
        // Deleted or moved since it was chosen: the conversation goes back to the default.
        wanted = null;
      }
      if (wanted !== null) {
        if (loaded !== wanted) await load(wanted);
        return;
      }
    }
    if (loaded !== null) return;
    const fallback = access.defaultModel();
    if (fallback === null) throw new BurrowError('no_model', 'No model is loaded. Open a .gguf model file to start chatting.');
    await load(access.authorize(fallback));
  }

  async function snapshot(): Promise<ModelLibraryValue> {
    return {
      models: await library.list(),
      modelsFolder: library.modelsDir,
      canReveal: options.revealFile !== undefined,
      idleUnloadMinutes: idle.minutes,
    };
  }

  const handlers: Pick<Handlers, LibraryHandlerName> = {
    'models.list': () => snapshot(),
    'models.load': ({ path, force }) => load(access.authorize(path), { force: force ?? false }),
    'models.openLocal': async () => {
      const picked = await options.pickModelFile();
      if (picked === null) return { status: null };
      return { status: await load(access.grant(picked)) };
    },
    'models.setDefault': ({ path }) => {
      access.setDefault(path === null ? null : access.authorize(path));
      changed('default');
      return snapshot();
    },
    'models.delete': async ({ path }) => {
      const real = deletablePath(library, path);
      if (engine.status().model?.path === real) await engine.unload();
      const deleted = await library.delete(real);
      changed('delete');
      return deleted;
    },
    'models.reveal': async ({ path }) => {
      const reveal = options.revealFile;
      if (reveal === undefined) throw new BurrowError('refused', 'Showing a model in its folder works in the Burrow app, not in a browser.');
      const real = access.authorize(path);
      await reveal(real);
      return { path: real };
    },
    'models.unload': async () => {
      await engine.unload();
      return engine.status();
    },
    'models.estimate': ({ path, contextSize }) => {
      const real = access.authorize(path);
      return engine.estimate(real, { ...library.engineOverrides(real), ...(contextSize === undefined ? {} : { contextSize }) });
    },
    'models.setOverrides': async ({ path, gpuLayers, contextSize }) => {
      const real = access.authorize(path);
      library.setOverrides(real, { ...(gpuLayers === undefined ? {} : { gpuLayers }), ...(contextSize === undefined ? {} : { contextSize }) });
      changed('overrides');
      return library.describe(real);
    },
    'models.setIdleUnload': ({ minutes }) => {
      settings.set(IDLE_KEY, minutes);
      idle.setMinutes(minutes);
      changed('settings');
      return { minutes };
    },
    'models.importBegin': ({ fileName, sizeBytes }) => imports.begin(fileName, sizeBytes),
    'models.importChunk': ({ importId, offset, dataBase64 }) => imports.chunk(importId, offset, dataBase64),
    'models.importFinish': async ({ importId }) => {
      const path = await imports.finish(importId);
      library.recordSource(path, 'import');
      changed('import');
      return library.describe(path);
    },
    'models.importCancel': ({ importId }) => imports.cancel(importId),
    'engine.hardware': () => engine.hardware(),
    'conversations.getModel': ({ id }) => {
      options.assertConversation(id);
      return { id, path: conversationModel(id) };
    },
    'conversations.setModel': ({ id, path }) => {
      options.assertConversation(id);
      const real = path === null ? null : access.authorize(path);
      settings.set(conversationModelKey(id), real);
      return { id, path: real };
    },
  };

  return {
    handlers,
    library,
    imports,
    load,
    ensureModelFor,
    changed,
    async dispose() {
      stopWatching();
      idle.dispose();
      await imports.dispose();
    },
  };
}

/** The real path of a model that may be deleted, or the refusal (checked before anything is unloaded). */
function deletablePath(library: ModelLibrary, path: string): string {
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw new BurrowError('not_found', `The model file "${basename(path)}" was not found. It may have been deleted already.`);
  }
  if (!library.isInModelsFolder(real)) {
    throw new BurrowError('refused', `Burrow only deletes models in its own models folder (${library.modelsDir}). "${basename(real)}" stays where it is.`);
  }
  return real;
}
