import type { CatalogEntry, DownloadState, DownloadStatus } from '../../shared/contract';
import { invoke, on } from './bridge';
import type { Toasts } from './toasts.svelte';

/** Downloads still under way (the user may pause, resume or cancel them). */
const UNDER_WAY_STATES: readonly DownloadState[] = ['queued', 'downloading', 'verifying', 'paused'];

export function underWay(status: DownloadStatus): boolean {
  return UNDER_WAY_STATES.includes(status.state);
}

/** The catalog and the downloads, as download.progress events tell them. */
export class Downloads {
  #catalog = $state<CatalogEntry[]>([]);
  #catalogLoaded = $state(false);
  #statuses = $state<Record<string, DownloadStatus>>({});
  /** Failed or cancelled downloads the user has put away. */
  #dismissed = $state<Record<string, true>>({});
  #toasts: Toasts;
  #onFinished: (status: DownloadStatus) => void;

  readonly recommended = $derived(this.#catalog.find((entry) => entry.recommended) ?? null);
  readonly alternatives = $derived(this.#catalog.filter((entry) => !entry.recommended));
  /** Newest first: the ones to show (under way, or failed and not put away). */
  readonly visible = $derived(
    Object.values(this.#statuses).filter((status) => !this.#dismissed[status.downloadId] && (underWay(status) || status.state === 'failed')),
  );
  readonly active = $derived(this.visible.find((status) => underWay(status)) ?? null);

  /** `onFinished` runs when a download this window watched reaches 'done' (the app then loads it). */
  constructor(toasts: Toasts, onFinished: (status: DownloadStatus) => void) {
    this.#toasts = toasts;
    this.#onFinished = onFinished;
  }

  get catalog(): readonly CatalogEntry[] {
    return this.#catalog;
  }
  get catalogLoaded(): boolean {
    return this.#catalogLoaded;
  }

  /** The latest download of a catalog entry, if one is under way or failed. */
  forEntry(catalogId: string): DownloadStatus | null {
    return this.visible.find((status) => status.catalogId === catalogId) ?? null;
  }

  connect(): () => void {
    const off = on('download.progress', (status) => this.#apply(status));
    void invoke('models.catalog', {}).then((result) => {
      if (result.ok) this.#catalog = result.value;
      else this.#toasts.error(result.error);
      this.#catalogLoaded = true;
    });
    void invoke('models.downloads', {}).then((result) => {
      if (!result.ok) return;
      // Events may have arrived first: they are newer.
      for (const status of result.value) this.#statuses[status.downloadId] ??= status;
    });
    return off;
  }

  async start(catalogId: string): Promise<void> {
    for (const status of Object.values(this.#statuses)) {
      if (status.catalogId === catalogId && status.state === 'failed') this.#dismissed[status.downloadId] = true;
    }
    const result = await invoke('models.download', { catalogId });
    if (!result.ok) this.#toasts.error(result.error);
  }

  async pause(downloadId: string): Promise<void> {
    const result = await invoke('models.pauseDownload', { downloadId });
    if (result.ok) this.#apply(result.value);
    else this.#toasts.error(result.error);
  }

  async resume(downloadId: string): Promise<void> {
    const result = await invoke('models.resumeDownload', { downloadId });
    if (result.ok) this.#apply(result.value);
    else this.#toasts.error(result.error);
  }

  async cancel(downloadId: string): Promise<void> {
    const result = await invoke('models.cancelDownload', { downloadId });
    if (result.ok) this.#apply(result.value);
    else this.#toasts.error(result.error);
  }

  dismiss(downloadId: string): void {
    this.#dismissed[downloadId] = true;
  }

  #apply(status: DownloadStatus): void {
    const before = this.#statuses[status.downloadId];
    this.#statuses[status.downloadId] = status;
    if (status.state === 'done' && before?.state !== 'done' && status.path !== null) this.#onFinished(status);
  }
}
