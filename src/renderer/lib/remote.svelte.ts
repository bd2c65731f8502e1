import type { RemoteEngineStatus } from '../../shared/contract';
import { invoke, on } from './bridge';

/**
 * Settings → "Use a server" as a window sees it: loaded once, kept current by `remote.state`
 * (turned on or off anywhere, a failed request, offline mode). Never holds the key: only
 * whether one is saved.
 */
export class RemoteState {
  #status = $state<RemoteEngineStatus | null>(null);

  get status(): RemoteEngineStatus | null {
    return this.#status;
  }

  /** Whether answers come from the server now. */
  get active(): boolean {
    return this.#status?.enabled === true && this.#status.url !== null;
  }

  /** Host (and port) answers come from, as the banner names it. */
  get host(): string {
    const url = this.#status?.url ?? '';
    // scheme://host[:port]/path → host[:port]; not a URL object (nothing here needs to react to it).
    return /^[a-z][a-z0-9+.-]*:\/\/([^/?#]+)/i.exec(url)?.[1] ?? url;
  }

  set(status: RemoteEngineStatus): void {
    this.#status = status;
  }

  connect(): () => void {
    const off = on('remote.state', (status) => (this.#status = status));
    void invoke('remote.status', {}).then((result) => {
      if (result.ok) this.#status = result.value;
    });
    return off;
  }
}
