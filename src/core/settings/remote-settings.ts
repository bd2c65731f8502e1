/**
 * Settings → "Use a server", in the SQLite settings table (one JSON row, in the private data
 * folder). The key is kept here, in the core only: remote.status tells a window whether one is
 * set, never what it is. A damaged or foreign row falls back to "off".
 */
import { z } from 'zod';
import type { SettingsStore } from '../store/settings';

export const REMOTE_SETTINGS_KEY = 'remote.engine';

export const StoredRemote = z.object({
  enabled: z.boolean(),
  url: z.string().min(1).max(2048).nullable(),
  apiKey: z.string().max(4096).nullable(),
  model: z.string().min(1).max(500).nullable(),
  /** The model's context size as the server stated it when it was turned on; null: not stated. */
  contextSize: z.number().int().positive().nullable(),
});
export type StoredRemote = z.infer<typeof StoredRemote>;

export const REMOTE_OFF: StoredRemote = Object.freeze({ enabled: false, url: null, apiKey: null, model: null, contextSize: null });

export class RemoteSettingsStore {
  readonly #store: SettingsStore;

  constructor(store: SettingsStore) {
    this.#store = store;
  }

  get(): StoredRemote {
    return this.#store.get(REMOTE_SETTINGS_KEY, StoredRemote, REMOTE_OFF);
  }

  set(value: StoredRemote): void {
    this.#store.set(REMOTE_SETTINGS_KEY, StoredRemote.parse(value));
  }
}
