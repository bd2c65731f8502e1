import type { AppSettings, DataFolder, SettingsPatch, SettingsStatus } from '../../shared/contract';
import { DEFAULT_APP_SETTINGS } from '../../shared/app-settings';
import { invoke, on } from './bridge';
import { applyTheme } from './theme';
import type { Toasts } from './toasts.svelte';

/**
 * The preferences as the page sees them: loaded once, kept in step with `settings.changed`
 * (another window, the quick window), changed with `update`. The theme is applied whenever
 * they change.
 */
export class SettingsState {
  #settings = $state<AppSettings>(structuredClone(DEFAULT_APP_SETTINGS));
  #status = $state<SettingsStatus | null>(null);
  #loaded = $state(false);
  #dataFolder = $state<DataFolder | null>(null);
  #toasts: Toasts | null;

  constructor(toasts: Toasts | null) {
    this.#toasts = toasts;
  }

  get current(): AppSettings {
    return this.#settings;
  }
  get status(): SettingsStatus | null {
    return this.#status;
  }
  get loaded(): boolean {
    return this.#loaded;
  }
  get dataFolder(): DataFolder | null {
    return this.#dataFolder;
  }

  /** Subscribes to changes and loads the settings and their status. Returns the unsubscribe. */
  connect(): () => void {
    const offs = [on('settings.changed', (settings) => this.#apply(settings)), on('settings.status', (status) => (this.#status = status))];
    void invoke('settings.get', {}).then((result) => {
      if (result.ok) this.#apply(result.value);
      else this.#toasts?.error(result.error);
    });
    void invoke('settings.status', {}).then((result) => {
      if (result.ok) this.#status = result.value;
    });
    return () => offs.forEach((off) => off());
  }

  /** Saves a change. Resolves false (after showing why) when it was refused. */
  async update(patch: SettingsPatch): Promise<boolean> {
    const result = await invoke('settings.set', { patch });
    if (!result.ok) {
      this.#toasts?.error(result.error);
      return false;
    }
    this.#apply(result.value);
    return true;
  }

  async loadDataFolder(): Promise<void> {
    const result = await invoke('settings.dataFolder', {});
    if (result.ok) this.#dataFolder = result.value;
    else this.#toasts?.error(result.error);
  }

  /** Deletes conversations' saved evaluation state; true when done. */
  async clearSavedState(): Promise<boolean> {
    const result = await invoke('settings.clearSavedState', {});
    if (!result.ok) {
      this.#toasts?.error(result.error);
      return false;
    }
    this.#dataFolder = result.value;
    return true;
  }

  async revealDataFolder(): Promise<void> {
    const result = await invoke('settings.revealDataFolder', {});
    if (!result.ok) this.#toasts?.error(result.error);
  }

  #apply(settings: AppSettings): void {
    this.#settings = settings;
    this.#loaded = true;
    applyTheme(settings.theme);
  }
}
