import type { ErrorValue } from '../../shared/errors';

export interface Toast {
  id: number;
  tone: 'error' | 'info';
  title: string;
  message: string;
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

  #push(toast: Omit<Toast, 'id'>): void {
    // The same message twice in a row (a retry loop, a double click) shows once.
    const last = this.#items.at(-1);
    if (last && last.title === toast.title && last.message === toast.message) {
      this.#schedule(last.id);
      return;
    }
    const id = this.#nextId++;
    this.#items = [...this.#items.slice(-3), { ...toast, id }];
    this.#schedule(id);
  }

  #schedule(id: number): void {
    clearTimeout(this.#timers.get(id));
    this.#timers.set(id, setTimeout(() => this.dismiss(id), VISIBLE_MS));
  }
}
