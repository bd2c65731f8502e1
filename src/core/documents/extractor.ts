/**
 * Supervises the extraction process: starts it on first use, sends it one file at a time,
 * kills it when a file overruns the time cap (or the caller cancels), and starts a fresh one
 * for the next file. Whatever happens in there — a crash, running out of its capped heap, a
 * hang — the caller gets a plain-language error and the core carries on.
 */
import { BurrowError } from '../../shared/errors';
import { SerialQueue } from '../process/serial-queue';
import type { ProcessChannel, ProcessExit } from '../process/channel';
import { ExtractorMessage, type ExtractorRequest } from './extraction-protocol';
import { DEFAULT_CAPS, type ExtractedUnit, type SpawnDocumentWorker, type Extraction, type ExtractionCaps, type FileIdentity } from './types';

export interface ExtractorOptions {
  spawn: SpawnDocumentWorker;
  /** Default DEFAULT_CAPS. */
  caps?: Partial<ExtractionCaps>;
}

export interface ExtractJob {
  path: string;
  fileName: string;
  identity?: FileIdentity;
  signal?: AbortSignal;
  onProgress?: (pagesDone: number, pagesTotal: number) => void;
}

interface Running {
  channel: ProcessChannel;
  started: Promise<void>;
  exited: Promise<ProcessExit>;
  listeners: Set<(message: ExtractorMessage) => void>;
  /**
   * Jobs waiting on this process, told if it exits. A set each job leaves when it ends, not a
   * `.then` per job on `exited`: that promise lives as long as the process, and every reaction
   * on it (with the job's extracted text in its closure) would live as long too.
   */
  exitListeners: Set<(info: ProcessExit) => void>;
  alive: boolean;
}

const unreadable = (message: string): BurrowError => new BurrowError('document_unreadable', message);

export class DocumentExtractor {
  readonly caps: ExtractionCaps;
  readonly #spawn: SpawnDocumentWorker;
  readonly #queue = new SerialQueue();
  #running: Running | null = null;
  #nextId = 1;
  #disposed = false;

  constructor(options: ExtractorOptions) {
    this.#spawn = options.spawn;
    this.caps = { ...DEFAULT_CAPS, ...options.caps };
  }

  /** The extraction process's id while it runs (tests read its memory). */
  get pid(): number | undefined {
    return this.#running?.alive === true ? this.#running.channel.pid : undefined;
  }

  extract(job: ExtractJob): Promise<Extraction> {
    if (this.#disposed) return Promise.reject(new BurrowError('engine_stopped', 'Burrow’s document reader was shut down.'));
    return this.#queue.run(() => this.#run(job));
  }

  async dispose(): Promise<void> {
    this.#disposed = true;
    const running = this.#running;
    this.#running = null;
    if (running?.alive === true) {
      running.channel.send({ type: 'dispose' } satisfies ExtractorRequest);
      const timer = setTimeout(() => running.channel.kill(), 2000);
      await running.exited;
      clearTimeout(timer);
    }
  }

  async #run(job: ExtractJob): Promise<Extraction> {
    if (job.signal?.aborted === true) throw abortError(job.signal);
    const running = await this.#ensureProcess();
    const id = this.#nextId++;
    return new Promise<Extraction>((resolve, reject) => {
      let settled = false;
      const units: ExtractedUnit[] = [];
      let open: ExtractedUnit | null = null;
      const finish = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        running.listeners.delete(onMessage);
        running.exitListeners.delete(onExit);
        job.signal?.removeEventListener('abort', onAbort);
        outcome();
      };
      const onMessage = (message: ExtractorMessage): void => {
        if (message.type === 'progress' && message.id === id) job.onProgress?.(message.pagesDone, message.pagesTotal);
        else if (message.type === 'unit' && message.id === id) {
          const { continues, ...piece } = message.unit;
          if (open === null) {
            open = piece;
            units.push(open);
          } else {
            const offset = open.text.length;
            open.text += piece.text;
            for (const end of piece.breaks) open.breaks.push(end + offset);
          }
          if (!continues) open = null;
        } else if (message.type === 'extracted' && message.id === id) finish(() => resolve({ ...message.extraction, units }));
        else if (message.type === 'failed' && (message.id === id || message.id === null)) {
          finish(() => reject(unreadable(message.refused ? message.message : `This file could not be read: ${message.message}`)));
        }
      };
      const stop = (error: Error): void => {
        finish(() => reject(error));
        // A process busy with a file cannot be interrupted; a new one is started for the next.
        this.#kill(running);
      };
      const onAbort = (): void => stop(abortError(job.signal));
      const timer = setTimeout(
        () => stop(unreadable(`This file took too long to read (more than ${Math.round(this.caps.maxMillis / 1000)} s), so Burrow stopped reading it. It may be damaged, or built to be hard to read.`)),
        this.caps.maxMillis,
      );
      running.listeners.add(onMessage);
      job.signal?.addEventListener('abort', onAbort, { once: true });
      const onExit = (info: ProcessExit): void =>
        finish(() =>
          reject(
            unreadable(
              info.signal === 'SIGKILL' || info.code === 134 || info.code === null
                ? 'This file could not be read: it needs more memory than Burrow allows for one document.'
                : `This file could not be read: the document reader stopped (exit code ${info.code}).`,
            ),
          ),
        );
      running.exitListeners.add(onExit);
      running.channel.send({
        type: 'extract',
        id,
        path: job.path,
        fileName: job.fileName,
        ...(job.identity === undefined ? {} : { identity: job.identity }),
        caps: this.caps,
      } satisfies ExtractorRequest);
    });
  }

  async #ensureProcess(): Promise<Running> {
    if (this.#running?.alive === true) {
      await this.#running.started;
      return this.#running;
    }
    let channel: ProcessChannel;
    try {
      channel = this.#spawn();
    } catch (error) {
      throw new BurrowError('engine_error', `Burrow could not start its document reader: ${error instanceof Error ? error.message : String(error)}`);
    }
    let markStarted!: () => void;
    const started = new Promise<void>((resolve) => (markStarted = resolve));
    const running: Running = {
      channel,
      started,
      alive: true,
      listeners: new Set(),
      exitListeners: new Set(),
      exited: new Promise((resolve) => channel.onExit(resolve)),
    };
    void running.exited.then((info) => {
      for (const listener of [...running.exitListeners]) listener(info);
      running.alive = false;
      if (this.#running === running) this.#running = null;
    });
    channel.onMessage((raw) => {
      const parsed = ExtractorMessage.safeParse(raw);
      if (!parsed.success) return;
      if (parsed.data.type === 'started') return markStarted();
      for (const listener of [...running.listeners]) listener(parsed.data);
    });
    this.#running = running;
    await Promise.race([
      started,
      running.exited.then((info) => {
        throw new BurrowError('engine_error', `Burrow’s document reader could not start (it exited with ${info.signal ?? `code ${info.code}`}).`);
      }),
    ]);
    return running;
  }

  #kill(running: Running): void {
    if (this.#running === running) this.#running = null;
    running.alive = false;
    running.channel.kill();
  }
}

function abortError(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason;
  return reason instanceof Error ? reason : new DOMException('The document was not read: cancelled.', 'AbortError');
}
