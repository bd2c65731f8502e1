/**
 * The one door out of the machine. Every outbound request Burrow makes goes through an
 * EgressGate, which checks it against a small policy (offline mode, an allow-list of hosts,
 * HTTPS only), follows redirects itself so that every hop is checked again, and records
 * every attempt — allowed or blocked — in a log the user can read (SECURITY.md item 23).
 */
import type { NetworkAttempt } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';

/**
 * Where models come from: Hugging Face and the CDN hosts it redirects downloads to.
 * `*.hf.co` covers its LFS and Xet storage (cdn-lfs.hf.co, cdn-lfs-us-1.hf.co,
 * cas-bridge.xethub.hf.co, …), which move between regions.
 */
export const MODEL_HOSTS: readonly string[] = Object.freeze([
  'huggingface.co',
  'cdn-lfs.huggingface.co',
  'cdn-lfs-us-1.huggingface.co',
  'cdn-lfs-eu-1.huggingface.co',
  '*.hf.co',
]);

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const MAX_LOGGED_URL_CHARS = 2048;

export interface EgressGateOptions {
  /** Offline mode: every request is blocked and logged. Default false. */
  offline?: boolean;
  /** Hosts requests may go to; `*.example.com` matches any subdomain. Default MODEL_HOSTS. */
  allowedHosts?: readonly string[];
  /** Added to `allowedHosts`: a mirror's host, or loopback in tests. */
  extraAllowedHosts?: readonly string[];
  /** Entries kept in the in-memory log (oldest dropped first). Default 500. */
  maxLogEntries?: number;
  /** Redirect hops followed before giving up. Default 10. */
  maxRedirects?: number;
  /** Default: Node's built-in fetch. */
  fetch?: typeof fetch;
  now?: () => number;
}

export interface EgressRequestOptions {
  /**
   * The user typed this exact URL themselves (`burrow models pull URL`): its host is allowed
   * for this request and its redirects even when it is not on the allow-list. Still HTTPS only.
   */
  userTypedUrl?: boolean;
  /**
   * The server the user chose in Settings → "Use a server": its host is allowed, and over
   * plain http:// too (a GPU box on the local network rarely has a certificate), because the
   * user typed it. Only that host: a redirect elsewhere meets the usual policy.
   */
  userServer?: boolean;
}

export interface EgressResponse {
  /** The final, non-redirect response. */
  response: Response;
  /** The URL that answered (query included: it may carry a signed CDN token; never log it). */
  url: URL;
  /** Headers of each redirect response, in order (Hugging Face puts file facts on the first). */
  redirects: Headers[];
}

export type EgressVerdict = { allowed: true } | { allowed: false; because: string };

type AttemptListener = (attempt: NetworkAttempt) => void;

export class EgressGate {
  /** Offline mode: when true nothing leaves the machine, not even a download the user asked for. */
  offline: boolean;
  readonly #allowed = new Set<string>();
  readonly #log: NetworkAttempt[] = [];
  readonly #listeners = new Set<AttemptListener>();
  readonly #maxLog: number;
  readonly #maxRedirects: number;
  readonly #fetch: typeof fetch;
  readonly #now: () => number;

  constructor(options: EgressGateOptions = {}) {
    this.offline = options.offline ?? false;
    for (const host of [...(options.allowedHosts ?? MODEL_HOSTS), ...(options.extraAllowedHosts ?? [])]) this.allowHost(host);
    this.#maxLog = options.maxLogEntries ?? 500;
    this.#maxRedirects = options.maxRedirects ?? 10;
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#now = options.now ?? Date.now;
  }

  /** Adds a host (or `*.domain`) to the allow-list, e.g. a mirror configured in settings. */
  allowHost(host: string): void {
    const normalized = normalizeHost(host);
    if (normalized !== '') this.#allowed.add(normalized);
  }

  allowedHosts(): string[] {
    return [...this.#allowed];
  }

  /** The policy alone, without logging or sending anything. */
  check(url: URL, options: { userHost?: string; userHttp?: boolean } = {}): EgressVerdict {
    if (this.offline) return { allowed: false, because: 'Offline mode is on.' };
    const host = normalizeHost(url.hostname);
    const httpAllowed = isLoopback(host) || (options.userHttp === true && host === options.userHost);
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && httpAllowed)) {
      return { allowed: false, because: 'Burrow only downloads over HTTPS.' };
    }
    if (url.username !== '' || url.password !== '') {
      return { allowed: false, because: 'Addresses with a user name or password are not allowed.' };
    }
    if (host === options.userHost || this.#hostAllowed(host)) return { allowed: true };
    return { allowed: false, because: `${host} is not a model host Burrow may contact.` };
  }

  /**
   * Sends a request if the policy allows it, following redirects by hand (each hop is checked
   * and logged). Refused requests throw BurrowError('refused'); network failures reject as
   * fetch does. `reason` says why in the log ("model download", "cli pull").
   */
  async request(url: string | URL, init: RequestInit, reason: string, options: EgressRequestOptions = {}): Promise<EgressResponse> {
    let current = parseUrl(url, reason);
    const userChosen = options.userTypedUrl === true || options.userServer === true;
    const userHost = userChosen ? normalizeHost(current.hostname) : undefined;
    const userHttp = options.userServer === true;
    const redirects: Headers[] = [];
    for (let hop = 0; ; hop++) {
      const verdict = this.check(current, userHost === undefined ? {} : { userHost, userHttp });
      this.#record(current, hop === 0 ? reason : `${reason} (redirect)`, verdict);
      if (!verdict.allowed) throw new BurrowError('refused', `Burrow did not contact ${current.host}: ${verdict.because}`);

      const response = await this.#fetch(current, { ...init, redirect: 'manual' });
      const location = response.headers.get('location');
      if (!REDIRECT_STATUSES.has(response.status) || location === null) return { response, url: current, redirects };

      await response.body?.cancel().catch(() => undefined);
      if (hop >= this.#maxRedirects) {
        throw new BurrowError('refused', `The download server redirected more than ${this.#maxRedirects} times. Try again later.`);
      }
      redirects.push(response.headers);
      current = parseUrl(new URL(location, current), reason);
    }
  }

  /**
   * Records an attempt that was stopped elsewhere (a window's page asking for a remote address),
   * so the network log shows every outbound attempt, not only downloads.
   */
  recordBlocked(url: string, reason: string, because: string): void {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return;
    }
    this.#record(parsed, reason, { allowed: false, because });
  }

  /** Every attempt since start, oldest first (at most `maxLogEntries`). */
  log(): NetworkAttempt[] {
    return this.#log.map((entry) => ({ ...entry }));
  }

  onAttempt(listener: AttemptListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  #hostAllowed(host: string): boolean {
    if (this.#allowed.has(host)) return true;
    for (const entry of this.#allowed) {
      if (entry.startsWith('*.') && host.endsWith(entry.slice(1))) return true;
    }
    return false;
  }

  #record(url: URL, reason: string, verdict: EgressVerdict): void {
    const entry: NetworkAttempt = {
      at: this.#now(),
      url: loggableUrl(url),
      reason,
      allowed: verdict.allowed,
      ...(verdict.allowed ? {} : { blockedBecause: verdict.because }),
    };
    this.#log.push(entry);
    if (this.#log.length > this.#maxLog) this.#log.splice(0, this.#log.length - this.#maxLog);
    for (const listener of this.#listeners) {
      try {
        listener({ ...entry });
      } catch (error) {
        console.error('[burrow] network log listener failed:', error);
      }
    }
  }
}

/** Scheme, host and path: the query and fragment may hold signed tokens and never reach the log. */
export function loggableUrl(url: URL): string {
  return `${url.protocol}//${url.host}${url.pathname}`.slice(0, MAX_LOGGED_URL_CHARS);
}

export function isLoopback(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}

function normalizeHost(host: string): string {
  return host.trim().toLowerCase().replace(/\.$/, '');
}

function parseUrl(url: string | URL, reason: string): URL {
  try {
    return new URL(url);
  } catch {
    throw new BurrowError('invalid_input', `That is not a web address Burrow can use (${reason}).`);
  }
}
