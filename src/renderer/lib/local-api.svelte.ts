import type { ApiRequestEntry, ApiStatus, ProcedureInput } from '../../shared/contract';
import type { Client } from '../../shared/client';
import { getClient } from './bridge';
import { mergeRequests } from './local-api';

export type ApiPatch = ProcedureInput<'api.configure'>;

/**
 * Settings → Local API as the page sees it: the server's status (kept in step with `api.state`)
 * and its request log, newest first (grown by `api.request`). Changes go through `configure`
 * and `rotateKey`, which answer with a message to show when the core refuses.
 */
export class LocalApiState {
  #status = $state<ApiStatus | null>(null);
  #requests = $state<ApiRequestEntry[]>([]);
  #loadError = $state<string | null>(null);
  #busy = $state(false);
  readonly #client: Client;

  constructor(client: Client = getClient()) {
    this.#client = client;
  }

  get status(): ApiStatus | null {
    return this.#status;
  }
  /** Newest first. */
  get requests(): readonly ApiRequestEntry[] {
    return this.#requests;
  }
  /** Why the status or the log could not be read. */
  get loadError(): string | null {
    return this.#loadError;
  }
  /** A change is on its way to the core. */
  get busy(): boolean {
    return this.#busy;
  }

  /** Subscribes to the server's events and reads its status and log. Returns the unsubscribe. */
  connect(): () => void {
    // Entries logged while the list is being read may come twice: mergeRequests keeps one.
    let live: ApiRequestEntry[] = [];
    let listed = false;
    const offs = [
      this.#client.on('api.state', (status) => (this.#status = status)),
      this.#client.on('api.request', (entry) => {
        if (listed) this.#requests = mergeRequests(this.#requests, [entry]);
        else live.push(entry);
      }),
    ];
    void this.#client.invoke('api.status', {}).then((result) => {
      if (result.ok) this.#status = result.value;
      else this.#loadError = result.error.message;
    });
    void this.#client.invoke('api.requests', {}).then((result) => {
      listed = true;
      this.#requests = mergeRequests(result.ok ? result.value : [], live);
      live = [];
      if (!result.ok) this.#loadError ??= result.error.message;
    });
    return () => offs.forEach((off) => off());
  }

  /** Applies a change. Resolves null when done, else the core's reason. */
  configure(patch: ApiPatch): Promise<string | null> {
    return this.#run(() => this.#client.invoke('api.configure', patch));
  }

  /** A new key; the old one stops working at once. */
  rotateKey(): Promise<string | null> {
    return this.#run(() => this.#client.invoke('api.rotateKey', {}));
  }

  async #run(call: () => Promise<{ ok: true; value: ApiStatus } | { ok: false; error: { message: string } }>): Promise<string | null> {
    this.#busy = true;
    try {
      const result = await call();
      if (!result.ok) return result.error.message;
      this.#status = result.value;
      return null;
    } finally {
      this.#busy = false;
    }
  }
}
