import type { ErrorValue } from '../../shared/errors';

export interface Toast {
  id: number;
  tone: 'error' | 'info';
  title: string;
  message: string;
  /** How many times this same notice came (shown as ×N): repeats merge instead of piling up. */
  count: number;
}

/** At most this many on screen: the oldest goes first. */
export const MAX_TOASTS = 3;

/**
 * The message without the words the title already says: `“x.gguf” was not added` over
 * `"x.gguf" was not added: not a GGUF file` reads `Not a GGUF file`.
 */
export function withoutRepeatedTitle(title: string, message: string): string {
  const plain = (text: string): string => text.replace(/[“”"‘’']/g, '"').toLowerCase();
  const head = plain(title).trim();
  const body = plain(message);
  if (head === '' || !body.startsWith(head)) return message;
  const rest = message.slice(title.length).replace(/^\s*[:.,—–-]\s*/, '');
  return rest === '' ? '' : rest.charAt(0).toUpperCase() + rest.slice(1);
}

const TITLES: Record<string, string> = {
  invalid_input: 'That didn’t work',
  not_found: 'Not found',
  no_model: 'No model loaded',
  model_invalid: 'This file isn’t a usable model',
  model_load_failed: 'The model could not be loaded',
  engine_stopped: 'The model stopped',
  engine_error: 'The model ran into a problem',
  busy: 'Burrow is busy',
  refused: 'Burrow can’t do that here',
  storage_error: 'Could not save',
};

const VISIBLE_MS = 7000;

/** Non-blocking notices. Errors from `invoke` land here with their message. */
export class Toasts {
  #items = $state<Toast[]>([]);
  #nextId = 1;
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- timers are bookkeeping, never rendered
  #timers = new Map<number, ReturnType<typeof setTimeout>>();

  get items(): readonly Toast[] {
    return this.#items;
  }

  error(error: ErrorValue | { code: string; message: string }): void {
    this.#push({ tone: 'error', title: TITLES[error.code] ?? 'Something went wrong', message: error.message });
  }

  info(title: string, message = ''): void {
    this.#push({ tone: 'info', title, message });
  }

  dismiss(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
    this.#items = this.#items.filter((toast) => toast.id !== id);
  }

  /** Keeps a toast on screen while the pointer or focus is on it. */
  hold(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
  }

  release(id: number): void {
    if (this.#items.some((toast) => toast.id === id)) this.#schedule(id);
  }

  #push(toast: Omit<Toast, 'id' | 'count'>): void {
    const message = withoutRepeatedTitle(toast.title, toast.message);
    // The same notice again (a retry loop, a double click, five files refused alike) merges
    // into the one on screen, counted, and moves to the newest place.
    const same = this.#items.find((item) => item.tone === toast.tone && item.title === toast.title && item.message === message);
    if (same) {
      this.#items = [...this.#items.filter((item) => item.id !== same.id), { ...same, count: same.count + 1 }];
      this.#schedule(same.id);
      return;
    }
    const id = this.#nextId++;
    const kept = this.#items.slice(-(MAX_TOASTS - 1));
    for (const gone of this.#items.slice(0, this.#items.length - kept.length)) this.#forget(gone.id);
    this.#items = [...kept, { ...toast, message, id, count: 1 }];
    this.#schedule(id);
  }

  #forget(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.delete(id);
  }

  #schedule(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.set(id, setTimeout(() => this.dismiss(id), VISIBLE_MS));
  }
}
