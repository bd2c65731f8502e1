/**
 * The local API server's settings, kept in the settings table so they survive restarts: the
 * switch (off by default), the address and port, the origins allowed to call from a browser,
 * whether API conversations are saved, and the bearer key. The key is generated here, stored
 * with the rest, and never written to a log.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { CorsOrigin, DEFAULT_API_PORT, ListenHost, Port } from '../../shared/contract';
import type { SettingsStore } from '../store/settings';

export const API_SETTINGS_KEY = 'api.server';
export const DEFAULT_API_HOST = '127.0.0.1';

/** What a generated key looks like: `sk-burrow-` and 32 random base64url characters (192 bits). */
export const ApiKey = z.string().regex(/^[\x21-\x7e]{8,200}$/, 'must be 8–200 printable characters without spaces');

export const ApiSettings = z.object({
  enabled: z.boolean(),
  host: ListenHost,
  port: Port,
  origins: z.array(CorsOrigin).max(32),
  saveHistory: z.boolean(),
  key: ApiKey,
});
export type ApiSettings = z.infer<typeof ApiSettings>;

export function generateApiKey(): string {
  return `sk-burrow-${randomBytes(24).toString('base64url')}`;
}

/** The stored settings; the first read (or a damaged row) writes the defaults with a new key. */
export function loadApiSettings(store: SettingsStore): ApiSettings {
  const stored = store.get<ApiSettings | null>(API_SETTINGS_KEY, ApiSettings, null);
  if (stored !== null) return stored;
  const fresh: ApiSettings = { enabled: false, host: DEFAULT_API_HOST, port: DEFAULT_API_PORT, origins: [], saveHistory: false, key: generateApiKey() };
  store.set(API_SETTINGS_KEY, fresh);
  return fresh;
}

export function saveApiSettings(store: SettingsStore, settings: ApiSettings): void {
  store.set(API_SETTINGS_KEY, settings);
}
