import type { EngineStatus, ModelInfo } from '../../shared/contract';
import { invoke, on } from './bridge';
import type { Toasts } from './toasts.svelte';

const INITIAL: EngineStatus = { state: 'idle', model: null, error: null };

/** The model engine as the UI sees it: its status, and the actions that load a model. */
export class Engine {
  #status = $state<EngineStatus>(INITIAL);
  #known = $state(false);
  #opening = $state(false);
  /** The last model that was loaded, so that "Load it again" works after a crash. */
  #lastModel = $state<ModelInfo | null>(null);
  #toasts: Toasts;

  /** The engine is starting or loading a model. */
  readonly busy = $derived(this.#status.state === 'starting' || this.#status.state === 'loading');
  readonly stopped = $derived(this.#status.state === 'stopped');
  /** The context is being rebuilt with other LoRA adapters before an answer (status.model.adapters names them). */
  readonly applying = $derived(this.#status.state === 'applying');
  /**
   * Whether a message can be sent now. After a crash ('stopped') the core starts the engine
   * again with the next message, so sending stays possible.
   */
  readonly canChat = $derived(
    this.#status.state === 'stopped' ||
      (this.#status.model !== null && (this.#status.state === 'ready' || this.#status.state === 'generating' || this.#status.state === 'applying')),
  );
  /** Whether typing makes sense: a model is there, is coming, or comes back with the next message. */
  readonly canType = $derived(this.#known && (this.#status.model !== null || this.busy || this.stopped));

  constructor(toasts: Toasts) {
    this.#toasts = toasts;
  }

  get status(): EngineStatus {
    return this.#status;
  }
  /** False until the first status arrived: avoids flashing "No model" at start-up. */
  get known(): boolean {
    return this.#known;
  }
  /** A model file is being picked or loaded at the user's request. */
  get opening(): boolean {
    return this.#opening;
  }
  get lastModel(): ModelInfo | null {
    return this.#lastModel;
  }

  /** Subscribes to engine events and asks for the current status. Returns the unsubscribe. */
  connect(): () => void {
    const off = on('engine.state', (status) => this.#apply(status));
    void invoke('engine.status', {}).then((result) => {
      if (result.ok) this.#apply(result.value);
      else this.#toasts.error(result.error);
    });
    return off;
  }

  /**
   * Asks the host to show its file picker and load the chosen .gguf file. `replaces`: a model
   * whose file is gone ("Find it again…"); the chosen file takes its place.
   */
  async openLocal(replaces?: string): Promise<void> {
    if (this.#opening) return;
    this.#opening = true;
    try {
      const result = await invoke('models.openLocal', replaces === undefined ? {} : { replaces });
      if (!result.ok) this.#toasts.error(result.error);
      else if (result.value.status) this.#apply(result.value.status);
    } finally {
      this.#opening = false;
    }
  }

  async reload(): Promise<void> {
    const path = this.#lastModel?.path;
    if (!path || this.#opening) return;
    this.#opening = true;
    try {
      const result = await invoke('models.load', { path });
      if (result.ok) this.#apply(result.value);
      else this.#toasts.error(result.error);
    } finally {
      this.#opening = false;
    }
  }

  #apply(status: EngineStatus): void {
    this.#status = status;
    this.#known = true;
    if (status.model) this.#lastModel = status.model;
  }
}

export { formatBytes } from '../../shared/format-bytes';

export function backendLabel(backend: string): string {
  const names: Record<string, string> = { metal: 'Metal', cuda: 'CUDA', vulkan: 'Vulkan', cpu: 'CPU' };
  return names[backend.toLowerCase()] ?? backend;
}

export function threadCount(threads: number): string {
  return `${threads} ${threads === 1 ? 'thread' : 'threads'}`;
}
