/**
 * Which model the API answers with, and under what name. The rule, kept simple and honest:
 * the API answers with the model Burrow is using — the one loaded, else the default model
 * (loaded as the app would load it). It never switches the app's model. /v1/models lists that
 * one model under its file name; a request's `model` must be that name or "burrow" (which
 * always means "whatever Burrow is using"); any other name is a 404 that names the served one.
 * Embeddings may also name any model file in the library.
 */
import { basename } from 'node:path';
import type { Client } from '../../shared/client';
import type { LibraryModel } from '../../shared/contract';
import { ApiError } from './api-errors';

export const MODEL_ALIAS = 'burrow';

export interface ServedModel {
  /** The file name: what /v1/models lists and answers carry in `model`. */
  id: string;
  path: string;
  /** Unix seconds. */
  created: number;
}

function fromLibrary(model: LibraryModel): ServedModel {
  return { id: model.fileName, path: model.path, created: Math.floor(model.modifiedAt / 1000) };
}

/**
 * The model the API answers with. A request needs only its name, which the engine's status
 * gives at once; /v1/models (`details`) also reads the library for the file's date.
 */
export async function servedModel(client: Client, details = true): Promise<ServedModel | null> {
  const status = (await client.call('engine.status', {})).model;
  // While a server answers the app (Settings → Use a server) the status names it; the API still
  // answers from this computer, with the model loaded here (the library marks it) or the default.
  const loaded = status?.backend === 'remote' ? null : status;
  if (loaded !== null && !details) return { id: basename(loaded.path), path: loaded.path, created: 0 };
  const library = await client.call('models.list', {});
  if (loaded !== null) {
    const known = library.models.find((model) => model.path === loaded.path);
    // Named as requests name it (the engine's path), dated from the library.
    return { id: basename(loaded.path), path: loaded.path, created: known ? fromLibrary(known).created : Math.floor(Date.now() / 1000) };
  }
  const chosen = library.models.find((model) => model.isLoaded && model.facts !== null) ?? library.models.find((model) => model.isDefault && model.facts !== null);
  return chosen ? fromLibrary(chosen) : null;
}

function noModel(): ApiError {
  return new ApiError(503, 'server_error', 'Burrow has no model to answer with yet. Choose or download one in Burrow (Settings → Models), or start `burrow serve --model FILE.gguf`.', { code: 'no_model' });
}

function unknownModel(name: string, served: ServedModel): ApiError {
  return new ApiError(404, 'invalid_request_error', `The model "${name.slice(0, 200)}" does not exist here. Burrow answers with the model it is using: "${served.id}" (or say "${MODEL_ALIAS}"). Choose another model in Burrow itself.`, { param: 'model', code: 'model_not_found' });
}

/** The served model, when `name` means it; otherwise a 404 naming the one available. */
export async function resolveModel(client: Client, name: string): Promise<ServedModel> {
  const quick = await servedModel(client, false);
  if (quick !== null && (name === MODEL_ALIAS || name === quick.id)) return quick;
  const served = await servedModel(client);
  if (served === null) throw noModel();
  if (name !== MODEL_ALIAS && name !== served.id) throw unknownModel(name, served);
  return served;
}

/** For embeddings: the served model, or any valid model file in the library named by its file name. */
export async function resolveEmbeddingModel(client: Client, name: string): Promise<{ id: string; path: string | undefined }> {
  const library = await client.call('models.list', {});
  const named = library.models.find((model) => model.fileName === name && model.facts !== null);
  if (named !== undefined) return { id: named.fileName, path: named.path };
  const served = await resolveModel(client, name);
  return { id: served.id, path: undefined };
}
