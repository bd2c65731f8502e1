/**
 * Model downloads that always finish: queued, retried with backoff after network errors and
 * stalls, paused and resumed (also across restarts, from `<modelsDir>/.partial`), and moved
 * into the models folder only after the size, the SHA-256 and the GGUF magic check out.
 * Network traffic starts only when the user asks: `start`, `startUrl` or `resume`.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { CatalogEntry, DownloadState, DownloadStatus } from '../../shared/contract';
import { BurrowError, toErrorValue } from '../../shared/errors';
import type { EgressGate } from '../net/egress';
import { catalogDownloadUrl, findCatalogEntry, loadCatalog, resolveModelBase } from './catalog';
import { fileNameFromUrl, partialPaths, PARTIAL_DIR, readSidecars, removePartial, writeSidecar } from './download-files';
import {
  checkGguf,
  downloadWithRetries,
  jobStatus,
  newJob,
  sampleSpeed,
  sidecarOf,
  Stop,
  TERMINAL,
  verifyFinishedFile,
  type Job,
  type JobFacts,
  type RetryPolicy,
} from './download-job';
import { DownloadFailure } from './download-transfer';

export type { RetryPolicy } from './download-job';

export interface ModelDownloaderOptions {
  gate: EgressGate;
  modelsDir: string;
  /** Base URL replacing https://huggingface.co (already chosen from env and settings). Checked per download. */
  mirror?: string;
  /** No bytes for this long → the attempt is aborted and retried. Default 30 000 ms. */
  stallTimeoutMs?: number;
  retry?: RetryPolicy;
  /** Downloads running at once; the rest wait as 'queued'. Default 1. */
  maxConcurrent?: number;
  /** Minimum time between progress events while bytes arrive. Default 250 ms (~4 a second). */
  progressIntervalMs?: number;
  /** Checks the finished file before it is moved into the models folder; throws to reject it. Default: the bounded GGUF validator. */
  validate?: (path: string) => Promise<void>;
  /** Default: the bundled catalog. */
  catalog?: CatalogEntry[];
}

type StatusListener = (status: DownloadStatus) => void;


export class ModelDownloader {
  readonly #gate: EgressGate;
  readonly #modelsDir: string;
  readonly #partialDir: string;
  readonly #mirror: string | undefined;
  readonly #stallTimeoutMs: number;
  readonly #retry: Required<RetryPolicy>;
  readonly #maxConcurrent: number;
  readonly #progressIntervalMs: number;
  readonly #validate: (path: string) => Promise<void>;
  readonly #catalog: CatalogEntry[];
  readonly #jobs = new Map<string, Job>();
  readonly #listeners = new Set<StatusListener>();
  #restoring: Promise<DownloadStatus[]> | null = null;
  #disposed = false;

  constructor(options: ModelDownloaderOptions) {
    this.#gate = options.gate;
    this.#modelsDir = options.modelsDir;
    this.#partialDir = join(options.modelsDir, PARTIAL_DIR);
    this.#mirror = options.mirror;
    this.#stallTimeoutMs = options.stallTimeoutMs ?? 30_000;
    this.#retry = { attempts: 6, initialDelayMs: 1000, maxDelayMs: 30_000, ...options.retry };
    this.#maxConcurrent = Math.max(1, options.maxConcurrent ?? 1);
    this.#progressIntervalMs = options.progressIntervalMs ?? 250;
    this.#validate = options.validate ?? checkGguf;
    this.#catalog = options.catalog ?? loadCatalog();
  }

  catalog(): CatalogEntry[] {
    return structuredClone(this.#catalog);
  }

  /** Starts (or continues) a catalog model. The UI can only ever name an entry, never a URL. */
  start(catalogId: string): DownloadStatus {
    const entry = findCatalogEntry(this.#catalog, catalogId);
    return this.#begin({
      catalogId: entry.id,
      name: entry.name,
      file: entry.file,
      url: catalogDownloadUrl(entry, resolveModelBase(this.#mirror)),
      reason: 'model download',
      userTypedUrl: false,
      expectedSize: entry.sizeBytes,
      sha256: entry.sha256,
      sha256Source: entry.sha256 === null ? 'none' : 'pinned',
    });
  }

  /** A URL the user typed themselves (`burrow models pull URL`), optionally pinned with --sha256. */
  startUrl(address: string, options: { sha256?: string; reason?: string } = {}): DownloadStatus {
    let url: URL;
    try {
      url = new URL(address);
    } catch {
      throw new BurrowError('invalid_input', `"${address.slice(0, 200)}" is not a web address.`);
    }
    const sha256 = options.sha256?.trim().toLowerCase();
    if (sha256 !== undefined && !/^[0-9a-f]{64}$/.test(sha256)) {
      throw new BurrowError('invalid_input', 'The SHA-256 must be 64 hexadecimal digits.');
    }
    const file = fileNameFromUrl(url);
    return this.#begin({
      catalogId: null,
      name: file.replace(/\.gguf$/i, ''),
      file,
      url: url.href,
      reason: options.reason ?? 'cli pull',
      userTypedUrl: true,
      expectedSize: null,
      sha256: sha256 ?? null,
      sha256Source: sha256 === undefined ? 'none' : 'user',
    });
  }

  async pause(downloadId: string): Promise<DownloadStatus> {
    const job = this.#job(downloadId);
    if (job.running !== null) {
      job.abort?.abort(new Stop('pause'));
      await job.running;
    } else if (job.state === 'queued') {
      this.#setState(job, 'paused');
    }
    return this.#status(job);
  }

  /** Pauses every download that is running or waiting (offline mode was turned on); their bytes are kept. */
  async pauseAll(): Promise<DownloadStatus[]> {
    const active = [...this.#jobs.values()].filter((job) => job.running !== null || job.state === 'queued');
    return Promise.all(active.map((job) => this.pause(job.id)));
  }

  resume(downloadId: string): DownloadStatus {
    const job = this.#job(downloadId);
    const resumable = job.state === 'paused' || (job.state === 'failed' && job.canResume);
    if (resumable && job.running === null) {
      job.error = null;
      job.attempt = 0;
      this.#setState(job, 'queued');
      this.#pump();
    }
    return this.#status(job);
  }

  /** Stops the download and deletes its bytes. */
  async cancel(downloadId: string): Promise<DownloadStatus> {
    const job = this.#job(downloadId);
    if (job.running !== null) {
      job.abort?.abort(new Stop('cancel'));
      await job.running;
    } else if (!TERMINAL.has(job.state)) {
      await removePartial(partialPaths(this.#partialDir, job.file));
      job.canResume = false;
      this.#setState(job, 'cancelled');
    }
    return this.#status(job);
  }

  status(downloadId: string): DownloadStatus {
    return this.#status(this.#job(downloadId));
  }

  list(): DownloadStatus[] {
    return [...this.#jobs.values()].map((job) => this.#status(job));
  }

  /**
   * Brings back the downloads that were unfinished when Burrow last stopped, as 'paused': they
   * continue only when the user presses resume. No network traffic happens here. Runs once;
   * later calls return the same answer.
   */
  resumeAll(): Promise<DownloadStatus[]> {
    this.#restoring ??= this.#restore();
    return this.#restoring;
  }

  async #restore(): Promise<DownloadStatus[]> {
    const restored: DownloadStatus[] = [];
    for (const sidecar of await readSidecars(this.#partialDir)) {
      const { part } = partialPaths(this.#partialDir, sidecar.file);
      const onDisk = await stat(part).then((facts) => facts.size, () => 0);
      if ([...this.#jobs.values()].some((job) => job.file === sidecar.file || job.id === sidecar.downloadId)) continue;
      const { version: _version, downloadId, updatedAt: _updatedAt, ...facts } = sidecar;
      const job = this.#newJob(downloadId, { ...facts, bytesDone: Math.min(onDisk, sidecar.bytesDone) });
      job.state = 'paused';
      this.#jobs.set(job.id, job);
      restored.push(this.#status(job));
      this.#emit(job, true);
    }
    return restored;
  }

  /** Resolves once the download is done, failed, cancelled or paused. */
  settled(downloadId: string): Promise<DownloadStatus> {
    const job = this.#job(downloadId);
    const isSettled = (state: DownloadState): boolean => state !== 'queued' && state !== 'downloading' && state !== 'verifying';
    if (isSettled(job.state)) return Promise.resolve(this.#status(job));
    return new Promise((resolve) => {
      const unsubscribe = this.onStatus((status) => {
        if (status.downloadId !== downloadId || !isSettled(status.state)) return;
        unsubscribe();
        resolve(status);
      });
    });
  }

  onStatus(listener: StatusListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Pauses whatever is running, keeping its bytes for the next start. */
  async dispose(): Promise<void> {
    this.#disposed = true;
    const running = [...this.#jobs.values()].filter((job) => job.running !== null);
    for (const job of running) job.abort?.abort(new Stop('shutdown'));
    await Promise.all(running.map((job) => job.running));
    for (const job of this.#jobs.values()) if (job.emitTimer !== null) clearTimeout(job.emitTimer);
  }

  // ── internals ──────────────────────────────────────────────────────────────────────────

  #begin(facts: Omit<JobFacts, 'bytesDone'>): DownloadStatus {
    if (this.#disposed) throw new BurrowError('refused', 'Burrow is shutting down.');
    for (const job of [...this.#jobs.values()].filter((candidate) => candidate.file === facts.file)) {
      // Finished with (cancelled, failed for good, or done but since deleted): forget it.
      const over = job.state === 'cancelled' || (job.state === 'failed' && !job.canResume) || (job.state === 'done' && (job.path === null || !existsSync(job.path)));
      if (over) this.#jobs.delete(job.id);
    }
    const existing = [...this.#jobs.values()].find((job) => job.file === facts.file);
    if (existing !== undefined) {
      const sameSource = existing.catalogId !== null ? existing.catalogId === facts.catalogId : existing.url === facts.url;
      if (!sameSource && existing.state !== 'done') {
        throw new BurrowError('refused', `Another download is already saving to ${facts.file}. Cancel it first.`);
      }
      return existing.state === 'done' ? this.#status(existing) : this.resume(existing.id);
    }
    const job = this.#newJob(randomUUID(), { ...facts, bytesDone: 0 });
    const destination = join(this.#modelsDir, facts.file);
    if (existsSync(destination)) {
      if (facts.catalogId === null) {
        throw new BurrowError('refused', `A model named ${facts.file} is already in your library. Delete it first to download it again.`);
      }
      // Already downloaded (and verified then): nothing to fetch.
      job.state = 'done';
      job.path = destination;
      job.canResume = false;
      job.bytesDone = job.expectedSize ?? 0;
    } else {
      job.state = 'queued';
    }
    this.#jobs.set(job.id, job);
    this.#emit(job, true);
    this.#pump();
    return this.#status(job);
  }

  #newJob(id: string, facts: JobFacts): Job {
    return newJob(id, facts, partialPaths(this.#partialDir, facts.file).part);
  }

  #job(downloadId: string): Job {
    const job = this.#jobs.get(downloadId);
    if (job === undefined) throw new BurrowError('not_found', 'That download no longer exists.');
    return job;
  }

  #pump(): void {
    if (this.#disposed) return;
    let running = [...this.#jobs.values()].filter((job) => job.running !== null).length;
    for (const job of this.#jobs.values()) {
      if (running >= this.#maxConcurrent) return;
      if (job.state !== 'queued' || job.running !== null) continue;
      running++;
      job.abort = new AbortController();
      job.running = this.#run(job, job.abort.signal).finally(() => {
        job.abort = null;
        job.running = null;
        this.#pump();
      });
    }
  }

  async #run(job: Job, signal: AbortSignal): Promise<void> {
    try {
      if (job.catalogId !== null) {
        // The mirror may have changed since this download began (it may even be from a last run).
        job.url = catalogDownloadUrl(findCatalogEntry(this.#catalog, job.catalogId), resolveModelBase(this.#mirror));
      }
      this.#setState(job, 'downloading');
      await downloadWithRetries(job, {
        gate: this.#gate,
        signal,
        stallTimeoutMs: this.#stallTimeoutMs,
        retry: this.#retry,
        emit: (now?: boolean) => this.#emit(job, now),
        persist: () => this.#persist(job),
      });
      this.#setState(job, 'verifying');
      await this.#verifyAndPlace(job);
      job.canResume = false;
      this.#setState(job, 'done');
    } catch (error) {
      const reason: unknown = signal.aborted ? signal.reason : error;
      if (reason instanceof Stop) {
        if (reason.kind === 'cancel') {
          await removePartial(partialPaths(this.#partialDir, job.file));
          job.canResume = false;
          this.#setState(job, 'cancelled');
        } else {
          await this.#persist(job).catch(() => undefined);
          this.#setState(job, 'paused');
        }
        return;
      }
      const failure = reason instanceof DownloadFailure ? reason : null;
      if (failure?.discard === true || job.bytesDone === 0) {
        await removePartial(partialPaths(this.#partialDir, job.file));
        job.canResume = false;
        job.bytesDone = 0;
        job.hashed = false;
      } else {
        await this.#persist(job).catch(() => undefined);
        job.canResume = existsSync(partialPaths(this.#partialDir, job.file).sidecar);
      }
      job.error = failure !== null ? { code: failure.code, message: failure.message } : toErrorValue(reason);
      this.#setState(job, 'failed');
    }
  }

  async #verifyAndPlace(job: Job): Promise<void> {
    await verifyFinishedFile(job, this.#validate);
    const destination = join(this.#modelsDir, job.file);
    await rename(job.partPath, destination);
    await removePartial(partialPaths(this.#partialDir, job.file));
    job.path = destination;
  }

  async #persist(job: Job): Promise<void> {
    if (TERMINAL.has(job.state)) return;
    await mkdir(this.#partialDir, { recursive: true, mode: 0o700 });
    await writeSidecar(partialPaths(this.#partialDir, job.file).sidecar, sidecarOf(job));
  }

  #setState(job: Job, state: DownloadState): void {
    job.state = state;
    if (state !== 'downloading') job.speed = { bytesPerSecond: null, at: 0, bytes: 0 };
    this.#emit(job, true);
  }

  /** Progress events: state changes at once, byte counts at most every `progressIntervalMs`. */
  #emit(job: Job, now = false): void {
    const elapsed = Date.now() - job.lastEmitAt;
    if (!now && elapsed < this.#progressIntervalMs) {
      job.emitTimer ??= setTimeout(() => this.#emit(job, true), this.#progressIntervalMs - elapsed);
      return;
    }
    if (job.emitTimer !== null) clearTimeout(job.emitTimer);
    job.emitTimer = null;
    job.lastEmitAt = Date.now();
    sampleSpeed(job);
    const status = this.#status(job);
    for (const listener of this.#listeners) {
      try {
        listener(status);
      } catch (error) {
        console.error('[burrow] download listener failed:', error);
      }
    }
  }

  #status(job: Job): DownloadStatus {
    return jobStatus(job);
  }
}

