import type { EngineStatus, HardwareReport, LibraryModel, MemoryEstimate, ModelLibrary, ModelOverrides } from '../../shared/contract';
import type { ErrorValue, Result } from '../../shared/errors';
import { SvelteSet } from 'svelte/reactivity';
import { invoke, on } from './bridge';
import { coalesce } from './coalesce';
import type { Toasts } from './toasts.svelte';

export type EstimateState = { status: 'loading' } | { status: 'ready'; estimate: MemoryEstimate } | { status: 'failed'; error: ErrorValue };

/** The model library as the UI sees it: the models, their memory estimates, the hardware, and the actions on them. */
export class Library {
  #data = $state<ModelLibrary | null>(null);
  #estimates = $state<Record<string, EstimateState>>({});
  #hardware = $state<HardwareReport | null>(null);
  #hardwareError = $state<ErrorValue | null>(null);
  /** path → what is being done to it now (buttons show it and stay disabled). */
  #pending = $state<Record<string, 'loading' | 'unloading' | 'deleting' | 'saving'>>({});
  #toasts: Toasts;
  /** Models whose automatic load failed: typing on does not try them again. */
  readonly #autoLoadFailed = new SvelteSet<string>();

  readonly models = $derived(this.#data?.models ?? []);
  /** Models that can be loaded (the validator accepted them). */
  readonly usable = $derived(this.models.filter((model) => model.problem === null));
  readonly defaultModel = $derived(this.models.find((model) => model.isDefault) ?? null);
  /**
   * The model Burrow loads without asking when none is loaded and the user starts typing: the
   * default (the one chosen in Models, else the last loaded), else the only usable one. A
   * default that cannot be loaded (its file is gone) is not silently replaced: the user chooses.
   */
  readonly preferred = $derived(
    this.defaultModel !== null ? (this.defaultModel.problem === null ? this.defaultModel : null) : this.usable.length === 1 ? (this.usable[0] ?? null) : null,
  );
  /** A model whose file is gone, still loaded or remembered as the default (the loaded one first: the list is in that order). */
  readonly missing = $derived(this.models.find((model) => model.fileMissing) ?? null);

  constructor(toasts: Toasts) {
    this.#toasts = toasts;
  }

  /** False until the first list arrived: the first-run screen waits for it. */
  get loaded(): boolean {
    return this.#data !== null;
  }
  get canReveal(): boolean {
    return this.#data?.canReveal ?? false;
  }
  get modelsFolder(): string {
    return this.#data?.modelsFolder ?? '';
  }
  get idleUnloadMinutes(): number | null {
    return this.#data?.idleUnloadMinutes ?? null;
  }
  get hardware(): HardwareReport | null {
    return this.#hardware;
  }
  get hardwareError(): ErrorValue | null {
    return this.#hardwareError;
  }
  estimateFor(path: string): EstimateState | undefined {
    return this.#estimates[path];
  }
  pendingFor(path: string): string | undefined {
    return this.#pending[path];
  }

  connect(): () => void {
    let loadedPath: string | null = null;
    const offs = [
      on('library.changed', () => void this.refresh()),
      on('engine.state', (status) => {
        // Loaded/unloaded changes the list's order and badges; other state changes do not.
        const path = status.model?.path ?? null;
        if (path === loadedPath) return;
        loadedPath = path;
        void this.refresh();
      }),
    ];
    void this.refresh();
    return () => offs.forEach((off) => off());
  }

  /** Reads models.list again; calls made while one is running coalesce into one more. */
  readonly refresh = coalesce(async () => {
    const result = await invoke('models.list', {});
    if (result.ok) this.#data = result.value;
    else this.#toasts.error(result.error);
  });

  /** Loads a model; a memory refusal is returned (the row offers "Load anyway"), other errors are toasts. */
  async load(path: string, force = false): Promise<Result<EngineStatus>> {
    this.#autoLoadFailed.delete(path);
    this.#pending[path] = 'loading';
    try {
      const result = await invoke('models.load', { path, ...(force ? { force } : {}) });
      if (!result.ok && result.error.code !== 'insufficient_memory') this.#toasts.error(result.error);
      return result;
    } finally {
      delete this.#pending[path];
    }
  }

  /**
   * Loads `preferred` unless it is being loaded already. A failure is shown once: typing on
   * does not try the same file again (loading it by hand does).
   */
  async loadPreferred(): Promise<void> {
    const model = this.preferred;
    if (model === null || this.#pending[model.path] !== undefined || this.#autoLoadFailed.has(model.path)) return;
    const result = await this.load(model.path);
    if (result.ok) return;
    this.#autoLoadFailed.add(model.path);
    if (result.error.code === 'insufficient_memory') this.#toasts.error(result.error);
  }

  async unload(path: string): Promise<void> {
    this.#pending[path] = 'unloading';
    try {
      const result = await invoke('models.unload', {});
      if (!result.ok) this.#toasts.error(result.error);
    } finally {
      delete this.#pending[path];
    }
  }

  async setDefault(path: string | null): Promise<void> {
    const result = await invoke('models.setDefault', { path });
    if (result.ok) this.#data = result.value;
    else this.#toasts.error(result.error);
  }

  async remove(model: LibraryModel): Promise<boolean> {
    this.#pending[model.path] = 'deleting';
    try {
      const result = await invoke('models.delete', { path: model.path });
      if (!result.ok) {
        this.#toasts.error(result.error);
        return false;
      }
      delete this.#estimates[model.path];
      this.#toasts.info(`Deleted ${model.name}`, `${formatFreed(result.value.freedBytes)} of disk space freed.`);
      await this.refresh();
      return true;
    } finally {
      delete this.#pending[model.path];
    }
  }

  async reveal(path: string): Promise<void> {
    const result = await invoke('models.reveal', { path });
    if (!result.ok) this.#toasts.error(result.error);
  }

  async setOverrides(path: string, overrides: ModelOverrides): Promise<boolean> {
    this.#pending[path] = 'saving';
    try {
      const result = await invoke('models.setOverrides', { path, ...overrides });
      if (!result.ok) {
        this.#toasts.error(result.error);
        return false;
      }
      await this.refresh();
      void this.estimate(path);
      return true;
    } finally {
      delete this.#pending[path];
    }
  }

  async setIdleUnload(minutes: number | null): Promise<void> {
    const result = await invoke('models.setIdleUnload', { minutes });
    if (!result.ok) this.#toasts.error(result.error);
    else await this.refresh();
  }

  /** Asks the engine what loading this model would take (kept per path until asked again). */
  async estimate(path: string): Promise<void> {
    if (this.#estimates[path]?.status !== 'ready') this.#estimates[path] = { status: 'loading' };
    const result = await invoke('models.estimate', { path });
    this.#estimates[path] = result.ok ? { status: 'ready', estimate: result.value } : { status: 'failed', error: result.error };
  }

  async loadHardware(): Promise<void> {
    const result = await invoke('engine.hardware', {});
    if (result.ok) {
      this.#hardware = result.value;
      this.#hardwareError = null;
    } else {
      this.#hardwareError = result.error;
    }
  }
}

function formatFreed(bytes: number): string {
  const gb = bytes / 1024 ** 3;
  return gb >= 1 ? `${gb.toFixed(1)} GB` : `${Math.max(1, Math.round(bytes / 1024 ** 2))} MB`;
}
