import { realpathSync, statSync } from 'node:fs';
import { basename, dirname, extname, resolve } from 'node:path';
import { z } from 'zod';
import { BurrowError } from '../../shared/errors';
import type { SettingsStore } from '../store/settings';

const RECENT_KEY = 'models.recent';
const LAST_KEY = 'models.last';
const DEFAULT_KEY = 'models.default';
const MAX_RECENT = 10;
const PathList = z.array(z.string()).max(100);
const NOT_PICKED = 'Burrow only loads model files you picked yourself. Use "Open a .gguf file…" to choose this one.';

/**
 * Which model files the UI may ask to load: ones the user picked (dialog, drop, command line),
 * remembered as "recent", and files in Burrow's own models folder. Any other path that
 * arrives over IPC is refused before it is opened.
 */
export class ModelAccess {
  readonly #settings: SettingsStore;
  readonly #modelsDir: string;
  readonly #handedOver = new Set<string>();

  constructor(settings: SettingsStore, modelsDir: string) {
    this.#settings = settings;
    this.#modelsDir = resolve(modelsDir);
  }

  /** Records a path the user handed over themselves. */
  grant(path: string): string {
    const real = checkModelFile(path);
    // The UI may name it as it was handed over (through a link): known without touching the disk.
    this.#handedOver.add(resolve(path));
    const recent = [real, ...this.recent().filter((entry) => entry !== real)].slice(0, MAX_RECENT);
    this.#settings.set(RECENT_KEY, recent);
    return real;
  }

  /**
   * Resolves a path asked for over IPC, or refuses it. A path the user never picked (and not in
   * Burrow's models folder) is refused before any file-system call, with one answer whatever is
   * there: the answer must not tell a page whether a file exists.
   */
  authorize(path: string): string {
    if (typeof path !== 'string' || !this.#mayName(resolve(path))) throw new BurrowError('refused', NOT_PICKED);
    const real = checkModelFile(path);
    if (this.#mayName(real)) return real;
    throw new BurrowError('refused', NOT_PICKED);
  }

  #mayName(path: string): boolean {
    const folder = dirname(path);
    return folder === this.#modelsDir || folder === safeRealpath(this.#modelsDir) || this.#handedOver.has(path) || this.recent().includes(path);
  }

  recent(): string[] {
    return this.#settings.get(RECENT_KEY, PathList, []);
  }

  last(): string | null {
    return this.#settings.get(LAST_KEY, z.string().nullable(), null);
  }

  setLast(path: string): void {
    this.#settings.set(LAST_KEY, path);
  }

  /** The model chosen as default in the library, or null (then the last one loaded is the default). */
  chosenDefault(): string | null {
    return this.#settings.get(DEFAULT_KEY, z.string().nullable(), null);
  }

  /** The model loaded at start and for conversations without their own: the chosen one, else the last loaded. */
  defaultModel(): string | null {
    return this.chosenDefault() ?? this.last();
  }

  setDefault(path: string | null): void {
    this.#settings.set(DEFAULT_KEY, path);
  }

  /** The file is gone (deleted from the library): it is no longer recent, last or default. */
  forget(path: string): void {
    this.#settings.set(RECENT_KEY, this.recent().filter((entry) => entry !== path));
    if (this.last() === path) this.#settings.set(LAST_KEY, null);
    if (this.chosenDefault() === path) this.#settings.set(DEFAULT_KEY, null);
  }

  /** The models folder, resolved through symlinks. */
  get modelsDir(): string {
    return safeRealpath(this.#modelsDir);
  }
}

function safeRealpath(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

function checkModelFile(path: string): string {
  if (extname(path).toLowerCase() !== '.gguf') {
    throw new BurrowError('model_invalid', `"${basename(path)}" is not a .gguf model file.`);
  }
  let real: string;
  try {
    real = realpathSync(path);
  } catch {
    throw new BurrowError('not_found', `The model file "${basename(path)}" was not found. It may have been moved or deleted.`);
  }
  if (!statSync(real).isFile()) {
    throw new BurrowError('model_invalid', `"${basename(path)}" is not a regular file.`);
  }
  return real;
}
