/**
 * The local API server's owner: its settings (stored), its state (off, starting, on, error),
 * its request log, and the one ApiServer it starts and stops. Settings → Local API and
 * `burrow serve` both drive it through the api.* procedures or serve().
 */
import { createServer as createNetServer } from 'node:net';
import type { Client } from '../../shared/client';
import type { ApiRequestEntry, ApiStatus, ProcedureInput } from '../../shared/contract';
import type { ErrorValue } from '../../shared/errors';
import type { EmitEvent } from '../events/event-hub';
import type { SettingsStore } from '../store/settings';
import { generateApiKey, loadApiSettings, saveApiSettings, type ApiSettings } from './api-settings';
import { RequestLog } from './request-log';
import { ApiServer, DEFAULT_MAX_IN_FLIGHT } from './server';

export interface ApiServiceOptions {
  settings: SettingsStore;
  emit: EmitEvent;
  /** The contract's client over this core (built once the router exists). */
  client: () => Client;
  /** Model-running requests at once before 429 (tests lower it). */
  maxInFlight?: number;
}

/** `burrow serve`: choices for this run only, never stored. */
export interface ServeOverrides {
  host?: string;
  port?: number;
  key?: string;
}

type State = ApiStatus['state'];

export class ApiService {
  readonly #options: ApiServiceOptions;
  readonly #log = new RequestLog();
  /** This run's choices over the stored settings (`burrow serve`). */
  #session: Partial<ApiSettings> = {};
  #server: ApiServer | null = null;
  #state: State = 'off';
  #error: ErrorValue | null = null;
  #freePort: number | null = null;
  /** Starts and stops run one after another. */
  #queue: Promise<void> = Promise.resolve();
  #disposed = false;

  constructor(options: ApiServiceOptions) {
    this.#options = options;
  }

  #settings(): ApiSettings {
    return { ...loadApiSettings(this.#options.settings), ...this.#session };
  }

  status(): ApiStatus {
    const settings = this.#settings();
    const host = this.#server?.host ?? settings.host;
    const port = this.#server?.port ?? settings.port;
    return {
      enabled: settings.enabled,
      state: this.#state,
      host: settings.host,
      port: this.#state === 'on' ? port : settings.port,
      url: this.#state === 'on' ? `http://${urlHost(host)}:${port}/v1` : null,
      key: settings.key,
      origins: settings.origins,
      saveHistory: settings.saveHistory,
      error: this.#error,
      freePort: this.#freePort,
    };
  }

  requests(): ApiRequestEntry[] {
    return this.#log.list();
  }

  /** Stores the patch, then starts, restarts or stops the server to match. */
  configure(patch: ProcedureInput<'api.configure'>): Promise<ApiStatus> {
    const stored = loadApiSettings(this.#options.settings);
    const next: ApiSettings = { ...stored };
    for (const [field, value] of Object.entries(patch)) {
      if (value === undefined) continue;
      Object.assign(next, { [field]: value });
      // A choice made now replaces this run's override of the same field.
      delete this.#session[field as keyof ApiSettings];
    }
    saveApiSettings(this.#options.settings, next);
    return this.#apply();
  }

  /** A new key; the old one fails from the next request on. */
  rotateKey(): ApiStatus {
    const stored = loadApiSettings(this.#options.settings);
    saveApiSettings(this.#options.settings, { ...stored, key: generateApiKey() });
    delete this.#session.key;
    const status = this.status();
    this.#options.emit('api.state', status);
    return status;
  }

  /** At start: the server comes back on when the user left it on. */
  startFromSettings(): Promise<ApiStatus> {
    return this.#apply();
  }

  /** `burrow serve`: on for this run, with these overrides, whatever the stored switch says. */
  serve(overrides: ServeOverrides): Promise<ApiStatus> {
    this.#session = { enabled: true };
    if (overrides.host !== undefined) this.#session.host = overrides.host;
    if (overrides.port !== undefined) this.#session.port = overrides.port;
    if (overrides.key !== undefined) this.#session.key = overrides.key;
    return this.#apply();
  }

  dispose(): Promise<void> {
    this.#disposed = true;
    return this.#serially(() => this.#stop());
  }

  #apply(): Promise<ApiStatus> {
    return this.#serially(async () => {
      const settings = this.#settings();
      const running = this.#server;
      if (!settings.enabled || this.#disposed) {
        await this.#stop();
      } else if (running === null || running.host !== settings.host || running.port !== settings.port || this.#state !== 'on') {
        await this.#stop();
        await this.#start(settings);
      }
    }).then(() => this.status());
  }

  #serially(step: () => Promise<void>): Promise<void> {
    const next = this.#queue.then(step);
    this.#queue = next.catch(() => undefined);
    return next;
  }

  #setState(state: State, error: ErrorValue | null = null, freePort: number | null = null): void {
    this.#state = state;
    this.#error = error;
    this.#freePort = freePort;
    this.#options.emit('api.state', this.status());
  }

  async #start(settings: ApiSettings): Promise<void> {
    this.#setState('starting');
    const server = new ApiServer(settings.host, settings.port, {
      client: this.#options.client(),
      key: () => this.#settings().key,
      origins: () => this.#settings().origins,
      saveHistory: () => this.#settings().saveHistory,
      onRequest: (entry) => {
        this.#log.add(entry);
        this.#options.emit('api.request', entry);
      },
      maxInFlight: this.#options.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT,
    });
    try {
      await server.listen();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EADDRINUSE' || code === 'EACCES') {
        const freePort = await findFreePort(settings.host, settings.port);
        const why = code === 'EACCES' ? 'Burrow may not use it on this computer' : 'another program is using it';
        this.#setState('error', { code: 'busy', message: `Port ${settings.port} is not available: ${why}.${freePort === null ? '' : ` Port ${freePort} is free.`}` }, freePort);
      } else if (code === 'EADDRNOTAVAIL' || code === 'EAFNOSUPPORT' || code === 'ENOTFOUND') {
        this.#setState('error', { code: 'refused', message: `${settings.host} is not an address of this computer. Choose 127.0.0.1 to listen on this computer only.` });
      } else {
        this.#setState('error', { code: 'internal', message: `The local API could not start: ${(error as Error).message}` });
      }
      return;
    }
    this.#server = server;
    this.#setState('on');
  }

  async #stop(): Promise<void> {
    const server = this.#server;
    this.#server = null;
    if (server !== null) await server.close();
    if (this.#state !== 'off') this.#setState('off');
  }
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function canListen(host: string, port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const probe = createNetServer();
    probe.once('error', () => resolve(null));
    probe.listen({ host, port, exclusive: true }, () => {
      const address = probe.address();
      const bound = typeof address === 'object' && address !== null ? address.port : null;
      probe.close(() => resolve(bound));
    });
  });
}

/** A port that is free now, found by listening on it: the next few after `taken`, else any the system gives. */
export async function findFreePort(host: string, taken: number): Promise<number | null> {
  for (let port = taken + 1; port <= Math.min(taken + 20, 65_535); port += 1) {
    if ((await canListen(host, port)) !== null) return port;
  }
  return canListen(host, 0);
}
