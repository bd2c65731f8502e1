/**
 * How much Markdown one frame may render, learned from how long the frames actually take.
 *
 * The JavaScript time of a frame is easy to bound (a deadline); what follows it is not: the
 * browser styles, lays out and paints the HTML the frame added, and on a slow or busy machine
 * that costs more than the rendering itself (measured on a 2-core machine: 8 KB of formatted
 * Markdown took 6 ms to render and 20–30 ms to lay out and paint). So the amount of new text per
 * frame adapts: when consecutive rendering frames come further apart than a long frame, the
 * next ones add half as much; while they keep up with the display, a quarter more each.
 * Pure: the caller passes the time, so tests drive it with a fake clock.
 */
import type { RenderBudget } from './markdown';

export interface FrameBudgetOptions {
  /** JavaScript time per frame, in ms. */
  renderMs: number;
  /** Bounds and start for the new text per frame, in characters. */
  minChars: number;
  maxChars: number;
  startChars: number;
  /** A frame interval above this (ms) halves the text per frame; below `fastMs`, it grows. */
  slowMs: number;
  fastMs: number;
  /**
   * A gap longer than this (ms) means rendering had stopped: it says nothing about frames, and
   * the next frame adds no more than `startChars` (it also carries whatever started rendering
   * again, such as a conversation being opened).
   */
  idleMs: number;
}

export const DEFAULT_FRAME_BUDGET: FrameBudgetOptions = {
  renderMs: 6,
  minChars: 512,
  maxChars: 16 * 1024,
  startChars: 4 * 1024,
  slowMs: 30,
  fastMs: 21,
  idleMs: 250,
};

export class AdaptiveFrameBudget {
  readonly #options: FrameBudgetOptions;
  #chars: number;
  #lastFrame: number | undefined;

  constructor(options: Partial<FrameBudgetOptions> = {}) {
    this.#options = { ...DEFAULT_FRAME_BUDGET, ...options };
    this.#chars = this.#options.startChars;
  }

  /** Characters the next frame may add. */
  get chars(): number {
    return this.#chars;
  }

  /** Starts a rendering frame at `now` (performance.now()): what this frame may spend. */
  begin(now: number): RenderBudget {
    const { slowMs, fastMs, idleMs, minChars, maxChars, startChars, renderMs } = this.#options;
    if (this.#lastFrame !== undefined) {
      const interval = now - this.#lastFrame;
      if (interval > idleMs) this.#chars = Math.min(this.#chars, startChars);
      else if (interval > slowMs) this.#chars = Math.max(minChars, Math.floor(this.#chars / 2));
      else if (interval < fastMs) this.#chars = Math.min(maxChars, Math.ceil(this.#chars * 1.25));
    }
    this.#lastFrame = now;
    return { deadline: now + renderMs, maxChars: this.#chars };
  }
}
