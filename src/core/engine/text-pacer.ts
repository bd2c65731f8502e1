/**
 * Paces an answer's text on its way out of the engine process: at most one message per
 * interval, the first one at once. Every message wakes the app's main process, and on a
 * machine with as many cores as llama.cpp threads the time it spends on it is taken from a
 * thread that the others then wait for at their next barrier: 1 ms of main-process work per
 * token cost about 4 % of the generation speed (docs/performance.md, "The process around
 * the engine"). Chunks that come further apart than the interval go out as they come, so a
 * slow model's answer is not held back; a fast one's goes out in chunks of a few tokens.
 */
/** The engine's least time between two text messages of one answer: about 20 a second. */
export const ENGINE_TEXT_INTERVAL_MS = 50;

export interface TextPacerOptions {
  /** Least time between two messages, in ms. */
  intervalMs: number;
  send: (text: string) => void;
  now?: () => number;
}

export class TextPacer {
  readonly #intervalMs: number;
  readonly #send: (text: string) => void;
  readonly #now: () => number;
  #pending = '';
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor({ intervalMs, send, now = () => performance.now() }: TextPacerOptions) {
    this.#intervalMs = intervalMs;
    this.#send = send;
    this.#now = now;
  }

  push(text: string): void {
    if (text.length === 0) return;
    this.#pending += text;
    if (this.#timer !== null) return;
    const wait = this.#lastSentAt + this.#intervalMs - this.#now();
    if (wait <= 0) this.flush();
    else this.#timer = setTimeout(() => this.flush(), wait);
  }

  /** Sends what is held back now (before the answer's final message, which must come after it). */
  flush(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#pending.length === 0) return;
    const text = this.#pending;
    this.#pending = '';
    this.#lastSentAt = this.#now();
    this.#send(text);
  }
}
