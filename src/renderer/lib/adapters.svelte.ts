/**
 * A base model's LoRA adapters as the Models view shows them: the list (each checked against the
 * model by the core), adding one by the host's file picker or by drop, removing one (Burrow only
 * forgets it: the file stays), and the model's default adapters with their scales.
 *
 * A dropped adapter is handed over through the preload's grantFile (kind 'adapter') so the core
 * may read it where it is. The browser host has no such grant (a page cannot pass a file's
 * location), so there a drop is refused with a message saying so.
 */
import type { Client } from '../../shared/client';
import type { AdapterChoice, LibraryAdapter } from '../../shared/contract';
import { MAX_ADAPTERS } from '../../shared/limits';
import { clampScale } from './adapter-text';

/** The preload's optional extra (desktop app only): grants a dropped file of a kind, returns its path. */
export type GrantFile = (file: File, kind?: 'document' | 'adapter') => Promise<string | null>;

export interface ModelAdaptersOptions {
  client: Client;
  /** The desktop app's file grant; undefined in the browser host, which cannot hand over a dropped file's location. */
  grantFile: GrantFile | undefined;
  /** Hears that the model's default adapters changed (its memory estimate counts them). */
  ondefaults?: () => void;
}

const ELSEWHERE = 'Add it in the desktop app, or once from the command line (burrow ask --lora FILE.gguf "…" adds it to the model that answers); it then shows here.';
export const BROWSER_DROP_LIMIT = `In the browser version Burrow cannot add a dropped adapter: a web page does not get the location of a dropped file, and an adapter stays where it is. ${ELSEWHERE}`;
export const BROWSER_PICK_LIMIT = `In the browser version Burrow cannot open a file dialog for an adapter. ${ELSEWHERE}`;

export class ModelAdapters {
  readonly modelPath: string;
  #list = $state<LibraryAdapter[]>([]);
  #loaded = $state(false);
  /** What went wrong with the last action (a refused file names both models), shown inline. */
  error = $state<string | null>(null);
  /** What is being done now ('adding', or the path being saved or removed). */
  busy = $state<string | null>(null);

  readonly #client: Client;
  readonly #grantFile: GrantFile | undefined;
  readonly #ondefaults: () => void;

  constructor(modelPath: string, options: ModelAdaptersOptions) {
    this.modelPath = modelPath;
    this.#client = options.client;
    this.#grantFile = options.grantFile;
    this.#ondefaults = options.ondefaults ?? (() => undefined);
  }

  get list(): LibraryAdapter[] {
    return this.#list;
  }
  get loaded(): boolean {
    return this.#loaded;
  }
  /** The model's default adapters, in list order. */
  get defaults(): AdapterChoice[] {
    return this.#list.flatMap((adapter) => (adapter.defaultScale === null ? [] : [{ path: adapter.path, scale: adapter.defaultScale }]));
  }

  /** Reads the list now and whenever the core says adapters changed; returns the unsubscribe. */
  connect(): () => void {
    const off = this.#client.on('library.changed', ({ reason }) => {
      if (reason === 'adapters') void this.refresh();
    });
    void this.refresh();
    return off;
  }

  async refresh(): Promise<void> {
    const result = await this.#client.invoke('models.adapters', { modelPath: this.modelPath });
    if (result.ok) {
      this.#list = result.value;
      this.#loaded = true;
    } else {
      this.error = result.error.message;
    }
  }

  /** "Add adapter…": the host's file picker; a cancelled picker changes nothing. */
  async pick(): Promise<void> {
    await this.#adding(async () => {
      const result = await this.#client.invoke('models.pickAdapter', { modelPath: this.modelPath });
      // The browser host has no file dialog (it refuses, with advice meant for models).
      if (!result.ok) return result.error.code === 'refused' && this.#grantFile === undefined ? BROWSER_PICK_LIMIT : result.error.message;
      if (result.value.adapter !== null) this.#merge(result.value.adapter);
      return null;
    });
  }

  /** Dropped files: each .gguf is handed over and added; anything else is refused with a reason. */
  async drop(files: File[]): Promise<void> {
    await this.#adding(async () => {
      const problems: string[] = [];
      for (const file of files) {
        if (!/\.gguf$/i.test(file.name)) {
          problems.push(`“${file.name}” is not a .gguf adapter file.`);
          continue;
        }
        if (this.#grantFile === undefined) return BROWSER_DROP_LIMIT;
        const path = await this.#grantFile(file, 'adapter');
        if (path === null) {
          problems.push(`Burrow could not open “${file.name}” where it is. Use “Add adapter…” instead.`);
          continue;
        }
        const result = await this.#client.invoke('models.addAdapter', { modelPath: this.modelPath, path });
        if (result.ok) this.#merge(result.value);
        else problems.push(result.error.message);
      }
      return problems.length === 0 ? null : problems.join(' ');
    });
  }

  /** Forgets the adapter (and drops it from the defaults). The file itself is never deleted. */
  async remove(adapter: LibraryAdapter): Promise<void> {
    this.busy = adapter.path;
    this.error = null;
    try {
      const result = await this.#client.invoke('models.removeAdapter', { modelPath: this.modelPath, path: adapter.path });
      if (!result.ok) this.error = result.error.message;
      else {
        this.#list = result.value;
        if (adapter.defaultScale !== null) this.#ondefaults();
      }
    } finally {
      this.busy = null;
    }
  }

  /** Puts the adapter among the model's defaults at `scale`, or takes it out (null). */
  async setDefault(adapter: LibraryAdapter, scale: number | null): Promise<void> {
    const others = this.defaults.filter((choice) => choice.path !== adapter.path);
    const wanted = scale === null ? others : this.#list.flatMap((entry) => (entry.path === adapter.path ? [{ path: entry.path, scale: clampScale(scale) }] : others.filter((choice) => choice.path === entry.path)));
    if (wanted.length > MAX_ADAPTERS) {
      this.error = `At most ${MAX_ADAPTERS} adapters can be used at once.`;
      return;
    }
    this.busy = adapter.path;
    this.error = null;
    try {
      const result = await this.#client.invoke('models.setAdapterDefaults', { modelPath: this.modelPath, adapters: wanted });
      if (!result.ok) this.error = result.error.message;
      else {
        this.#list = result.value;
        this.#ondefaults();
      }
    } finally {
      this.busy = null;
    }
  }

  async #adding(action: () => Promise<string | null>): Promise<void> {
    if (this.busy !== null) return;
    this.busy = 'adding';
    this.error = null;
    try {
      this.error = await action();
    } finally {
      this.busy = null;
    }
  }

  #merge(adapter: LibraryAdapter): void {
    const at = this.#list.findIndex((entry) => entry.path === adapter.path);
    this.#list = at === -1 ? [...this.#list, adapter] : this.#list.map((entry, index) => (index === at ? adapter : entry));
  }
}
