/**
 * The library procedures (`models.*` of the model files and `engine.hardware`): list, load
 * and unload, default, delete, reveal, memory estimate, per-model overrides, imports and idle
 * unloading.
 */
import { existsSync, realpathSync } from 'node:fs';
import { basename } from 'node:path';
import { BurrowError } from '../../shared/errors';
import type { Handlers } from '../../shared/router';
import type { EngineHost } from '../engine/engine-host';
import type { ModelLibrary } from '../models/library';
import type { Library } from '../models/library-service';

export type LibraryProcedure =
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
  | 'models.adapters'
  | 'models.addAdapter'
  | 'models.pickAdapter'
  | 'models.removeAdapter'
  | 'models.setAdapterDefaults'
  | 'engine.hardware';

export interface LibraryHandlerOptions {
  library: Library;
  engine: EngineHost;
  /** Asks the user for a .gguf file (a dialog in the app), a model or a LoRA adapter; null when they cancel. */
  pickModelFile: (kind?: 'model' | 'adapter') => Promise<string | null>;
  /** Shows a file in the system's file manager, where the host can. */
  revealFile?: ((path: string) => Promise<void>) | undefined;
}

export function libraryHandlers(options: LibraryHandlerOptions): Pick<Handlers, LibraryProcedure> {
  const { library: service, engine } = options;
  const { library, imports, access, adapters } = service;
  const adapterChanged = <T>(value: T): T => {
    service.changed('adapters');
    return value;
  };
  return {
    'models.list': () => service.snapshot(),
    'models.load': ({ path, force }) => service.load(access.authorize(path), { force: force ?? false }),
    'models.openLocal': async ({ replaces }) => {
      const picked = await options.pickModelFile();
      if (picked === null) return { status: null };
      // Asked before the load, which makes the picked file the last one.
      const remembered = replaces !== undefined && [...access.recent(), access.last(), access.chosenDefault()].includes(replaces) ? replaces : null;
      const status = await service.load(access.grant(picked));
      if (remembered !== null) takePlaceOf(service, remembered, status.model?.path ?? null);
      return { status };
    },
    'models.setDefault': ({ path }) => {
      access.setDefault(path === null ? null : access.authorize(path));
      service.changed('default');
      return service.snapshot();
    },
    'models.delete': async ({ path }) => {
      const real = deletablePath(library, path);
      if (engine.localStatus().model?.path === real) await engine.unload();
      const deleted = await library.delete(real);
      adapters.forgetModel(real);
      service.changed('delete');
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
      const defaultAdapters = adapters.defaults(real).map((choice) => choice.path);
      return engine.estimate(real, { ...library.engineOverrides(real), ...(contextSize === undefined ? {} : { contextSize }) }, defaultAdapters);
    },
    'models.setOverrides': async ({ path, gpuLayers, contextSize }) => {
      const real = access.authorize(path);
      library.setOverrides(real, { ...(gpuLayers === undefined ? {} : { gpuLayers }), ...(contextSize === undefined ? {} : { contextSize }) });
      service.changed('overrides');
      return library.describe(real);
    },
    'models.setIdleUnload': ({ minutes }) => {
      service.setIdleUnload(minutes);
      service.changed('settings');
      return { minutes };
    },
    'models.importBegin': ({ fileName, sizeBytes }) => imports.begin(fileName, sizeBytes),
    'models.importChunk': ({ importId, offset, dataBase64 }) => imports.chunk(importId, offset, dataBase64),
    'models.importFinish': async ({ importId }) => {
      const path = await imports.finish(importId);
      library.recordSource(path, 'import');
      service.changed('import');
      return library.describe(path);
    },
    'models.importCancel': ({ importId }) => imports.cancel(importId),
    'models.adapters': ({ modelPath }) => adapters.list(access.authorize(modelPath)),
    'models.addAdapter': async ({ modelPath, path }) => adapterChanged(await adapters.add(access.authorize(modelPath), path)),
    'models.pickAdapter': async ({ modelPath }) => {
      const real = access.authorize(modelPath);
      const picked = await options.pickModelFile('adapter');
      if (picked === null) return { adapter: null };
      return { adapter: adapterChanged(await adapters.add(real, adapters.grant(picked))) };
    },
    'models.removeAdapter': async ({ modelPath, path }) => adapterChanged(await adapters.remove(access.authorize(modelPath), path)),
    'models.setAdapterDefaults': async ({ modelPath, adapters: choices }) => adapterChanged(await adapters.setDefaults(access.authorize(modelPath), choices)),
    'engine.hardware': () => engine.hardware(),
  };
}

/**
 * "Find it again…": the file just opened takes the place of a remembered model (recent, last or
 * default) whose file is gone — the default if that one was, and the gone one is forgotten. A
 * path that still exists is left alone; one never remembered is not even looked at.
 */
function takePlaceOf(service: Library, gone: string, found: string | null): void {
  const { access, library } = service;
  if (found === null || gone === found || existsSync(gone)) return;
  const wasDefault = access.chosenDefault() === gone;
  library.forget(gone);
  if (wasDefault) access.setDefault(found);
  service.changed('default');
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

