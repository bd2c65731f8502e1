/**
 * Settings → Local API, the parts that are plain functions: the masked key, the curl example,
 * the port and origin fields' parsing, and how a request-log entry reads.
 */
import type { ApiRequestEntry } from '../../shared/contract';

export const DEFAULT_LISTEN_HOST = '127.0.0.1';
/** The request log keeps this many entries on screen (the newest). */
export const REQUEST_LOG_LIMIT = 200;

/** Addresses only this computer can reach. */
export function isLoopbackHost(host: string): boolean {
  const lower = host.trim().toLowerCase();
  return lower === 'localhost' || lower === '::1' || /^127(\.\d{1,3}){3}$/.test(lower);
}

/** The key as dots, keeping its first characters so that two keys can be told apart. */
export function maskKey(key: string): string {
  if (key === '') return '';
  const shown = key.startsWith('sk-') ? Math.min(7, key.length) : Math.min(3, key.length);
  return `${key.slice(0, shown)}${'•'.repeat(Math.max(8, Math.min(24, key.length - shown)))}`;
}

/** One line to paste in a terminal: lists the models, with the key from $BURROW_API_KEY. */
export function curlExample(url: string): string {
  return `curl ${url}/models -H "Authorization: Bearer $BURROW_API_KEY"`;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

export function parsePort(text: string): Parsed<number> {
  const trimmed = text.trim();
  if (!/^\d{1,5}$/.test(trimmed)) return { ok: false, message: 'A port is a whole number from 1 to 65535.' };
  const port = Number(trimmed);
  if (port < 1 || port > 65_535) return { ok: false, message: 'A port is a whole number from 1 to 65535.' };
  return { ok: true, value: port };
}

const ADDRESS = /^[0-9A-Fa-f:.]+$|^localhost$/;

export function parseHost(text: string): Parsed<string> {
  const trimmed = text.trim();
  if (trimmed === '' || trimmed.length > 64 || !ADDRESS.test(trimmed)) {
    return { ok: false, message: 'An IP address of this computer, such as 127.0.0.1, 0.0.0.0 (every network) or ::1.' };
  }
  return { ok: true, value: trimmed };
}

const ORIGIN = /^https?:\/\/[^/\s]+$/;

/** Origins one per line or separated by commas; empty lines are ignored; a trailing slash is dropped. */
export function parseOrigins(text: string): Parsed<string[]> {
  const origins: string[] = [];
  for (const part of text.split(/[\n,]/)) {
    const origin = part.trim().replace(/\/$/, '');
    if (origin === '') continue;
    if (origin.length > 300 || !ORIGIN.test(origin)) return { ok: false, message: `“${origin.slice(0, 60)}” is not an origin. Write it as http://localhost:5173 (scheme, host and port, no path).` };
    if (!origins.includes(origin)) origins.push(origin);
  }
  if (origins.length > 32) return { ok: false, message: 'At most 32 origins.' };
  return { ok: true, value: origins };
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
  return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
}

/** The status's tone in the log: success, a client's mistake, or the server's. */
export function statusTone(status: number): 'ok' | 'client' | 'server' {
  if (status < 400) return 'ok';
  return status < 500 ? 'client' : 'server';
}

function sameEntry(a: ApiRequestEntry, b: ApiRequestEntry): boolean {
  return a.at === b.at && a.endpoint === b.endpoint && a.method === b.method && a.status === b.status && a.client === b.client && a.durationMs === b.durationMs;
}

/**
 * The log as shown, newest first: the core's list merged with entries that arrived as events
 * (those may also be in the list when they came while it was being read), at most `limit`.
 */
export function mergeRequests(list: readonly ApiRequestEntry[], live: readonly ApiRequestEntry[], limit = REQUEST_LOG_LIMIT): ApiRequestEntry[] {
  const merged = [...list];
  for (const entry of live) if (!merged.some((known) => sameEntry(known, entry))) merged.push(entry);
  // Stable: entries with the same time keep the order they were logged in, newest first.
  return merged
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => b.entry.at - a.entry.at || b.index - a.index)
    .slice(0, limit)
    .map(({ entry }) => entry);
}
