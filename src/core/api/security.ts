/**
 * The server's gates, checked before any route runs: the Host header (against DNS rebinding),
 * CORS for the origins the user listed and no others, and the bearer key in constant time.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { hostname } from 'node:os';
import { ApiError } from './api-errors';

const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '[::1]', '::1'];

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/** Whether a listening address is "every address of this machine". */
function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

/** Host header → [hostname, port]; null when it cannot be read. */
function splitHostHeader(header: string): [string, number | null] | null {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[^:[\]]+)(?::(\d{1,5}))?$/.exec(header.trim().toLowerCase());
  if (!match) return null;
  return [match[1] ?? '', match[2] === undefined ? null : Number(match[2])];
}

/**
 * A page on some other site whose name the attacker re-points at 127.0.0.1 (DNS rebinding) sends
 * its own name in Host. Only names that mean this server pass: on loopback, 127.0.0.1, localhost
 * and [::1]; on another address, that address too; on every address (0.0.0.0), any IP literal,
 * localhost and this machine's name. The port must be the one the server listens on.
 */
export function hostAllowed(header: string | undefined, listenHost: string, port: number): boolean {
  if (header === undefined) return false;
  const parts = splitHostHeader(header);
  if (parts === null) return false;
  const [name, headerPort] = parts;
  if ((headerPort ?? 80) !== port) return false;
  if (LOOPBACK_NAMES.includes(name)) return true;
  const bare = name.startsWith('[') ? name.slice(1, -1) : name;
  if (isWildcard(listenHost)) {
    const machine = hostname().toLowerCase();
    return isIP(bare) !== 0 || bare === machine || bare === `${machine}.local`;
  }
  return bare === listenHost.toLowerCase();
}

/**
 * CORS headers for a request from a listed origin; none for any other. Answers a preflight
 * (OPTIONS) itself: 204 for a listed origin, 403 otherwise. Returns true when it answered.
 */
export function applyCors(request: IncomingMessage, response: ServerResponse, origins: readonly string[]): boolean {
  const origin = request.headers.origin;
  const allowed = origin !== undefined && origins.includes(origin);
  if (allowed) {
    response.setHeader('Access-Control-Allow-Origin', origin);
    response.setHeader('Vary', 'Origin');
  }
  if (request.method !== 'OPTIONS') return false;
  if (!allowed) throw new ApiError(403, 'permission_error', 'This origin may not call Burrow\'s API. Add it under Settings → Local API → Allowed origins.', { code: 'origin_not_allowed' });
  response.setHeader('Access-Control-Allow-Methods', 'GET, POST, OPTIONS');
  const requested = request.headers['access-control-request-headers'];
  response.setHeader('Access-Control-Allow-Headers', typeof requested === 'string' && /^[\w\s,-]{1,2000}$/.test(requested) ? requested : 'Authorization, Content-Type');
  response.setHeader('Access-Control-Max-Age', '600');
  response.writeHead(204).end();
  return true;
}

const digest = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Compares the bearer key in constant time (equal-length digests, so the length leaks nothing). */
export function checkKey(header: string | undefined, key: string): void {
  const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (match === null) {
    throw new ApiError(401, 'authentication_error', 'Send your Burrow API key as "Authorization: Bearer <key>". It is shown under Settings → Local API.', { code: 'missing_api_key' });
  }
  if (!timingSafeEqual(digest(match[1] ?? ''), digest(key))) {
    throw new ApiError(401, 'authentication_error', 'Incorrect API key. Copy the current key from Settings → Local API (a rotated key stops working at once).', { code: 'invalid_api_key' });
  }
}
