/** The request log: the last 500 requests the server answered, in memory only. */
import type { ApiRequestEntry } from '../../shared/contract';

export const REQUEST_LOG_LIMIT = 500;

export class RequestLog {
  readonly #entries: ApiRequestEntry[] = [];

  add(entry: ApiRequestEntry): void {
    this.#entries.push(entry);
    if (this.#entries.length > REQUEST_LOG_LIMIT) this.#entries.splice(0, this.#entries.length - REQUEST_LOG_LIMIT);
  }

  /** Oldest first. */
  list(): ApiRequestEntry[] {
    return this.#entries.slice();
  }
}
