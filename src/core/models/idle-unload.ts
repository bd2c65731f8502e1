/**
 * "Unload when idle for N minutes": gives the model's memory back when nothing has used it for
 * a while. Every sign of activity (a load, an answer streaming or ending) restarts the wait; an
 * answer in progress is never cut short, and the next message loads the model again.
 */
export interface IdleUnloaderOptions {
  unload: () => Promise<void>;
  /** A model is loaded (nothing to give back otherwise). */
  hasModel: () => boolean;
  /** Something is using the model now (an answer, a load): wait another period. */
  isBusy: () => boolean;
  /** Milliseconds in a minute; tests shrink it. Default 60 000. */
  minuteMs?: number;
  onError?: (error: unknown) => void;
}

export class IdleUnloader {
  readonly #options: IdleUnloaderOptions;
  readonly #minuteMs: number;
  #minutes: number | null = null;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #disposed = false;

  constructor(options: IdleUnloaderOptions) {
    this.#options = options;
    this.#minuteMs = options.minuteMs ?? 60_000;
  }

  get minutes(): number | null {
    return this.#minutes;
  }

  /** null turns idle unloading off. */
  setMinutes(minutes: number | null): void {
    this.#minutes = minutes;
    this.activity();
  }

  /** Restarts the wait. */
  activity(): void {
    this.#clear();
    if (this.#disposed || this.#minutes === null || !this.#options.hasModel()) return;
    this.#timer = setTimeout(() => void this.#fire(), Math.max(1, this.#minutes * this.#minuteMs));
    // Never keeps a CLI or a test process alive.
    this.#timer.unref();
  }

  dispose(): void {
    this.#disposed = true;
    this.#clear();
  }

  async #fire(): Promise<void> {
    this.#timer = null;
    if (this.#disposed || !this.#options.hasModel()) return;
    if (this.#options.isBusy()) {
      this.activity();
      return;
    }
    try {
      await this.#options.unload();
    } catch (error) {
      this.#options.onError?.(error);
    }
  }

  #clear(): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
  }
}
