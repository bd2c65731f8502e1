/**
 * LoRA adapters in the library: which adapter files the user added to which base model, each
 * model's default adapters, and each conversation's own choice. Adapter files are untrusted
 * input and the user's own: they are checked by the bounded validator against the base model's
 * tensor shapes (cached by size and modification time), stay where they are, and are only ever
 * forgotten, never deleted. Adapters never join the models list or the recent models.
 *
 * Which paths may be added follows ModelAccess: only files the host handed over (a dialog, a drop
 * through grantFile, the command line) or already added; any other path is refused before any
 * file-system call, with one answer whatever is there.
 */
import { realpathSync, statSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import { basename, extname, resolve } from 'node:path';
import { z } from 'zod';
import { AdapterChoice, type AdapterChoices, type LibraryAdapter } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import { MAX_ADAPTERS_PER_MODEL } from '../../shared/limits';
import { checkAdapterFits, validateAdapter, validateGgufWithShapes, type AdapterFacts, type AdapterVerdict, type GgufModelDetails } from '../gguf/gguf-validator';
import { conversationAdaptersKey } from '../store/conversation-sql';
import type { SettingsStore } from '../store/settings';

const ADDED_KEY = 'models.adapters';
const DEFAULTS_KEY = 'models.adapterDefaults';
/** Bounds the settings rows, whatever happens to the files. */
const MAX_MODELS_REMEMBERED = 500;
const NOT_PICKED = 'Burrow only adds adapter files you picked yourself. Use "Add adapter…" or drop the file on the window.';

const PathList = z.array(z.string().max(4096)).max(MAX_ADAPTERS_PER_MODEL);
const AddedMap = z.record(z.string(), PathList);
const DefaultsMap = z.record(z.string(), z.array(AdapterChoice));
const ConversationChoice = z.array(AdapterChoice).nullable();

/** An adapter to apply, as the engine gets it: its real path, scale and name (for the chip and the status). */
export interface AppliedAdapter {
  path: string;
  scale: number;
  name: string;
}

interface Cached<T> {
  size: number;
  mtimeMs: number;
  value: T;
}

export class AdapterLibrary {
  readonly #settings: SettingsStore;
  readonly #handedOver = new Set<string>();
  readonly #adapterVerdicts = new Map<string, Cached<AdapterVerdict>>();
  readonly #modelShapes = new Map<string, Cached<GgufModelDetails>>();

  constructor(settings: SettingsStore) {
    this.#settings = settings;
  }

  /** Records an adapter file the user handed over (dialog, drop, command line). Returns its real path. Hosts only: never from IPC. */
  grant(path: string): string {
    const real = checkAdapterPath(path);
    this.#handedOver.add(resolve(path));
    this.#handedOver.add(real);
    return real;
  }

  /** The adapters added to `modelPath` (a real path the caller authorised), each checked against it. */
  async list(modelPath: string): Promise<LibraryAdapter[]> {
    const defaults = this.defaults(modelPath);
    return Promise.all(this.#added(modelPath).map((path) => this.#describe(modelPath, path, defaults)));
  }

  /** Adds a handed-over adapter to a base model after checking it fits; refused with the reason otherwise. */
  async add(modelPath: string, path: string): Promise<LibraryAdapter> {
    const real = this.#authorize(path);
    const verdict = await this.#adapterVerdict(real);
    if (!verdict.ok) throw new BurrowError('model_invalid', verdict.message);
    const problem = await this.#fitProblem(modelPath, verdict.facts);
    if (problem !== null) throw new BurrowError('model_invalid', problem);
    const all = this.#settings.get(ADDED_KEY, AddedMap, {});
    const list = all[modelPath] ?? [];
    if (!list.includes(real)) {
      if (list.length >= MAX_ADAPTERS_PER_MODEL) throw new BurrowError('refused', `A model can have at most ${MAX_ADAPTERS_PER_MODEL} adapters. Remove one first.`);
      all[modelPath] = [...list, real];
      this.#settings.set(ADDED_KEY, bounded(all));
    }
    return this.#describe(modelPath, real, this.defaults(modelPath));
  }

  /** Forgets an adapter of a model (and drops it from the model's defaults). The file is never touched. */
  async remove(modelPath: string, path: string): Promise<LibraryAdapter[]> {
    const all = this.#settings.get(ADDED_KEY, AddedMap, {});
    const list = all[modelPath] ?? [];
    const target = list.includes(path) ? path : safeRealpath(path);
    if (!list.includes(target)) throw new BurrowError('not_found', `"${basename(path)}" is not one of this model's adapters.`);
    const rest = list.filter((entry) => entry !== target);
    if (rest.length === 0) delete all[modelPath];
    else all[modelPath] = rest;
    this.#settings.set(ADDED_KEY, all);
    this.#writeDefaults(modelPath, this.defaults(modelPath).filter((choice) => choice.path !== target));
    return this.list(modelPath);
  }

  defaults(modelPath: string): AdapterChoice[] {
    return this.#settings.get(DEFAULTS_KEY, DefaultsMap, {})[modelPath] ?? [];
  }

  /** The model's default adapters; each must have been added to it. */
  async setDefaults(modelPath: string, choices: AdapterChoices): Promise<LibraryAdapter[]> {
    const added = this.#added(modelPath);
    const named = choices.map((choice) => ({ ...choice, path: canonical(choice.path, added) }));
    const stranger = named.find((choice) => !added.includes(choice.path));
    if (stranger !== undefined) throw new BurrowError('refused', `"${basename(stranger.path)}" is not one of this model's adapters. Add it first.`);
    this.#writeDefaults(modelPath, named);
    return this.list(modelPath);
  }

  /** A conversation's own adapters; null: its model's defaults. */
  conversationAdapters(id: string): AdapterChoice[] | null {
    return this.#settings.get(conversationAdaptersKey(id), ConversationChoice, null);
  }

  /** Each must be an adapter the user added to some model (which model answers is checked when it answers). */
  setConversationAdapters(id: string, choices: AdapterChoices | null): AdapterChoice[] | null {
    let named: AdapterChoice[] | null = null;
    if (choices !== null) {
      const known = Object.values(this.#settings.get(ADDED_KEY, AddedMap, {})).flat();
      named = choices.map((choice) => ({ ...choice, path: canonical(choice.path, known) }));
      for (const choice of named) {
        if (!known.includes(choice.path)) throw new BurrowError('refused', `"${basename(choice.path)}" is not an adapter added to a model. Add it under Models → the base model → Adapters first.`);
      }
    }
    this.#settings.set(conversationAdaptersKey(id), named);
    return named;
  }

  /**
   * What an answer by `modelPath` applies: the conversation's own adapters, else (and for a null
   * conversation: the quick prompt, the API) the model's defaults. Only adapters added to that
   * model count; one whose file is gone or broken since is skipped.
   */
  async effective(modelPath: string, conversationId: string | null): Promise<AppliedAdapter[]> {
    const own = conversationId === null ? null : this.conversationAdapters(conversationId);
    const choices = this.#known(modelPath, own ?? this.defaults(modelPath));
    const applied: AppliedAdapter[] = [];
    for (const choice of choices) {
      const verdict = await this.#adapterVerdict(choice.path).catch(() => null);
      // A file gone or broken since it was added is skipped, not fatal: the answer comes from the base model.
      if (verdict?.ok !== true) continue;
      applied.push({ path: choice.path, scale: choice.scale, name: verdict.facts.name });
    }
    return applied;
  }

  /** The model file is gone from the library: its adapters and defaults are forgotten. */
  forgetModel(modelPath: string): void {
    const all = this.#settings.get(ADDED_KEY, AddedMap, {});
    if (modelPath in all) {
      delete all[modelPath];
      this.#settings.set(ADDED_KEY, all);
    }
    this.#writeDefaults(modelPath, []);
  }

  #added(modelPath: string): string[] {
    return this.#settings.get(ADDED_KEY, AddedMap, {})[modelPath] ?? [];
  }

  #known(modelPath: string, choices: readonly AdapterChoice[]): AdapterChoice[] {
    const added = this.#added(modelPath);
    return choices.filter((choice) => added.includes(choice.path));
  }

  #writeDefaults(modelPath: string, choices: AdapterChoice[]): void {
    const all = this.#settings.get(DEFAULTS_KEY, DefaultsMap, {});
    if (choices.length === 0) {
      if (!(modelPath in all)) return;
      delete all[modelPath];
    } else {
      all[modelPath] = choices;
    }
    this.#settings.set(DEFAULTS_KEY, bounded(all));
  }

  #authorize(path: string): string {
    const mayName = (candidate: string): boolean => this.#handedOver.has(candidate) || Object.values(this.#settings.get(ADDED_KEY, AddedMap, {})).some((list) => list.includes(candidate));
    if (typeof path !== 'string' || !mayName(resolve(path))) throw new BurrowError('refused', NOT_PICKED);
    const real = checkAdapterPath(path);
    if (!mayName(real)) throw new BurrowError('refused', NOT_PICKED);
    return real;
  }

  async #describe(modelPath: string, path: string, defaults: readonly AdapterChoice[]): Promise<LibraryAdapter> {
    const defaultScale = defaults.find((choice) => choice.path === path)?.scale ?? null;
    const base = { path, fileName: basename(path), defaultScale };
    let verdict: AdapterVerdict;
    let size: number;
    try {
      size = (await stat(path)).size;
      verdict = await this.#adapterVerdict(path);
    } catch {
      return { ...base, name: basename(path).replace(/\.gguf$/i, ''), size: 0, rank: null, alpha: null, baseArchitecture: null, fits: false, problem: `The adapter file "${basename(path)}" is gone. It may have been moved or deleted.`, fileMissing: true };
    }
    if (!verdict.ok) return { ...base, name: basename(path).replace(/\.gguf$/i, ''), size, rank: null, alpha: null, baseArchitecture: null, fits: false, problem: verdict.message, fileMissing: false };
    const { facts } = verdict;
    const problem = await this.#fitProblem(modelPath, facts).catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
    return {
      ...base,
      name: facts.name,
      size,
      rank: facts.rank,
      alpha: facts.alpha,
      baseArchitecture: facts.architecture,
      fits: problem === null,
      ...(problem === null ? {} : { problem }),
      fileMissing: false,
    };
  }

  async #fitProblem(modelPath: string, adapter: AdapterFacts): Promise<string | null> {
    const model = await cached(this.#modelShapes, modelPath, () => validateGgufWithShapes(modelPath));
    if (!model.ok) return `The base model cannot be read: ${model.message}`;
    return checkAdapterFits(adapter, { ...model.facts, shapes: model.shapes });
  }

  #adapterVerdict(path: string): Promise<AdapterVerdict> {
    return cached(this.#adapterVerdicts, path, () => validateAdapter(path));
  }
}

/** A verdict cached by the file's size and modification time (rejects when the file cannot be read). */
async function cached<T>(cache: Map<string, Cached<T>>, path: string, compute: () => Promise<T>): Promise<T> {
  const { size, mtimeMs } = await stat(path);
  const hit = cache.get(path);
  if (hit !== undefined && hit.size === size && hit.mtimeMs === mtimeMs) return hit.value;
  const value = await compute();
  cache.set(path, { size, mtimeMs, value });
  return value;
}

function checkAdapterPath(path: string): string {
  if (extname(path).toLowerCase() !== '.gguf') throw new BurrowError('model_invalid', `"${basename(path)}" is not a .gguf adapter file.`);
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw new BurrowError('not_found', `The adapter file "${basename(path)}" was not found. It may have been moved or deleted.`);
  }
  if (!statSync(real).isFile()) throw new BurrowError('model_invalid', `"${basename(path)}" is not a regular file.`);
  return real;
}

/** The path as an adapter was added (its real path), also when named through a link. */
function canonical(path: string, known: readonly string[]): string {
  return known.includes(path) ? path : safeRealpath(path);
}

function safeRealpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function bounded<T>(record: Record<string, T>): Record<string, T> {
  const entries = Object.entries(record);
  return entries.length <= MAX_MODELS_REMEMBERED ? record : Object.fromEntries(entries.slice(-MAX_MODELS_REMEMBERED));
}
