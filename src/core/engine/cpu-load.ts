/**
 * How busy the machine's cores are with work that is not ours, over the last second: the
 * thread count of each answer is chosen from it (threads.ts, threadsForLoad). On a 2-core
 * machine with one core kept busy by another program, two llama.cpp threads generate 1.4
 * tokens/s and one thread 8.6 (docs/performance.md): a thread that shares its core with
 * someone else stalls every barrier of every token, so a busy core must not get a thread.
 */
import { cpus } from 'node:os';

/** Cumulative CPU times, in milliseconds, at one moment. */
export interface CpuSample {
  /** performance.now() when read. */
  at: number;
  /** Time all CPUs spent busy (user, nice, sys, irq) since boot. */
  busyMs: number;
  /** Time this process spent on CPUs (user + system) since it started. */
  ownMs: number;
}

export type ReadCpu = () => CpuSample;

export function readCpu(): CpuSample {
  let busyMs = 0;
  for (const cpu of cpus()) busyMs += cpu.times.user + cpu.times.nice + cpu.times.sys + cpu.times.irq;
  const own = process.cpuUsage();
  return { at: performance.now(), busyMs, ownMs: (own.user + own.system) / 1000 };
}

/** Cores' worth of CPU time others used between two samples (0 when the window is empty). */
export function othersBusyCores(from: CpuSample, to: CpuSample): number {
  const elapsed = to.at - from.at;
  if (!(elapsed > 0)) return 0;
  const others = to.busyMs - from.busyMs - (to.ownMs - from.ownMs);
  return Math.max(0, others / elapsed);
}

/** The shortest span the load is read over: 20 ticks of the kernel's CPU-time clock. */
export const MIN_WINDOW_MS = 200;

export interface LoadMonitorOptions {
  /** How far back the load is measured. Default 1 s. */
  windowMs?: number;
  /** How often a sample is kept. Default 100 ms (a read is about 50 µs). */
  intervalMs?: number;
  read?: ReadCpu;
}

/**
 * Keeps the samples of the last second, so that at the start of an answer the load over the
 * whole last second is known without waiting for it. The timer is unref'd: it never keeps the
 * engine process alive.
 *
 * The load it reports is the lesser of the whole second's and the last few hundred
 * milliseconds' (`othersBusy`): a core is given up only to a program that has kept it busy for
 * the last second and still does. A load that just ended (a build finishing, the document
 * worker handing over its text) read as busy for a whole second after it, and the answer that
 * followed it began on one thread and stayed there until a refit saw the second clear: the first
 * Q4_0 answer after a llama-bench run spent its first second on one thread, 44-48 tok/s against
 * 51-55 for the answer right after it (docs/performance.md, "A load that just ended"). A load
 * that just began is left to the next refit (llama-engine.ts, every 250 ms).
 */
export class LoadMonitor {
  readonly #windowMs: number;
  readonly #intervalMs: number;
  readonly #read: ReadCpu;
  #samples: CpuSample[] = [];
  #timer: ReturnType<typeof setInterval> | null = null;

  constructor(options: LoadMonitorOptions = {}) {
    this.#windowMs = options.windowMs ?? 1000;
    this.#intervalMs = options.intervalMs ?? 100;
    this.#read = options.read ?? readCpu;
  }

  start(): void {
    if (this.#timer !== null) return;
    this.sample();
    this.#timer = setInterval(() => this.sample(), this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
    this.#samples = [];
  }

  /** Takes a sample now and forgets those older than the window needs. */
  sample(): CpuSample {
    const now = this.#read();
    this.#samples.push(now);
    // Keep the newest sample that is at least a window old, as the window's start.
    while (this.#samples.length > 2 && (this.#samples[1]?.at ?? now.at) <= now.at - this.#windowMs) this.#samples.shift();
    return now;
  }

  /**
   * Cores' worth of others' work measured up to now: the lesser of the load over (about) the
   * last window and over the shortest recent span that can be read (the newest sample at least
   * MIN_WINDOW_MS old); 0 until the samples span MIN_WINDOW_MS. The kernel counts CPU time in
   * ticks of 10 ms, so over the few milliseconds between a model's load (which starts the
   * monitor) and its first answer one tick read as 2.15 busy cores on an idle 2-core machine,
   * and that answer began on one thread.
   */
  othersBusy(): number {
    const now = this.sample();
    const start = this.#samples[0];
    if (start === undefined || now.at - start.at < MIN_WINDOW_MS) return 0;
    const recent = this.#samples.findLast((sample) => now.at - sample.at >= MIN_WINDOW_MS) ?? start;
    return Math.min(othersBusyCores(start, now), othersBusyCores(recent, now));
  }
}
