/**
 * One download, apart from the downloader's queue: its record (what it is, how far it got,
 * how fast), its public status and sidecar, the run of attempts that fetches its bytes, and
 * the checks its finished file must pass.
 */
import { createHash } from 'node:crypto';
import { mkdir, open, stat, truncate } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { DownloadState, DownloadStatus } from '../../shared/contract';
import type { EgressGate } from '../net/egress';
import { hashPrefix, readMagic, type Sidecar } from './download-files';
import { DownloadFailure, NOTHING_SAVED, percentOf, transferOnce, type TransferTarget } from './download-transfer';
import { validateGguf } from '../gguf/gguf-validator';

export interface RetryPolicy {
  /** Failed attempts in a row before giving up (an attempt that moved ≥ 64 KiB resets the count). Default 6. */
  attempts?: number;
  /** Wait before the first retry; doubles each time. Default 1000 ms. */
  initialDelayMs?: number;
  /** Longest wait between attempts. Default 30 000 ms. */
  maxDelayMs?: number;
}

const PROGRESS_RESETS_RETRIES = 64 * 1024;

/** Why a running download was told to stop (the abort reason): not a failure. */
export class Stop {
  constructor(readonly kind: 'pause' | 'cancel' | 'shutdown') {}
}

export type JobFacts = Omit<Sidecar, 'version' | 'downloadId' | 'updatedAt'>;

export interface Job extends TransferTarget {
  id: string;
  catalogId: string | null;
  name: string;
  file: string;
  state: DownloadState;
  attempt: number;
  error: DownloadStatus['error'];
  path: string | null;
  canResume: boolean;
  /** False until the bytes on disk have been hashed in this process (`hash` is then meaningless). */
  hashed: boolean;
  abort: AbortController | null;
  running: Promise<void> | null;
  speed: { bytesPerSecond: number | null; at: number; bytes: number };
  lastEmitAt: number;
  emitTimer: ReturnType<typeof setTimeout> | null;
}

export const TERMINAL: ReadonlySet<DownloadState> = new Set(['done', 'cancelled']);

export function newJob(id: string, facts: JobFacts, partPath: string): Job {
  return {
    ...facts,
    id,
    partPath,
    state: 'queued',
    attempt: 0,
    error: null,
    path: null,
    canResume: true,
    hash: createHash('sha256'),
    hashed: false,
    abort: null,
    running: null,
    speed: { bytesPerSecond: null, at: 0, bytes: 0 },
    lastEmitAt: 0,
    emitTimer: null,
  };
}

export function jobStatus(job: Job): DownloadStatus {
  const total = job.expectedSize;
  const bytesPerSecond = job.state === 'downloading' ? job.speed.bytesPerSecond : null;
  return {
    downloadId: job.id,
    catalogId: job.catalogId,
    name: job.name,
    file: job.file,
    state: job.state,
    bytesDone: job.bytesDone,
    totalBytes: total,
    percent: total !== null ? Math.min(100, Math.floor((job.bytesDone / total) * 1000) / 10) : null,
    bytesPerSecond,
    secondsLeft: bytesPerSecond !== null && bytesPerSecond > 0 && total !== null ? Math.max(0, (total - job.bytesDone) / bytesPerSecond) : null,
    attempt: job.attempt,
    sha256: job.sha256,
    sha256Source: job.sha256Source,
    canResume: job.canResume && !TERMINAL.has(job.state),
    path: job.path,
    error: job.error,
  };
}

export function sidecarOf(job: Job): Sidecar {
  return {
    version: 1,
    downloadId: job.id,
    catalogId: job.catalogId,
    name: job.name,
    file: job.file,
    url: job.url,
    reason: job.reason,
    userTypedUrl: job.userTypedUrl,
    expectedSize: job.expectedSize,
    sha256: job.sha256Source === 'none' ? null : job.sha256,
    sha256Source: job.sha256Source,
    bytesDone: job.bytesDone,
    updatedAt: Date.now(),
  };
}

/** Bytes per second, smoothed (exponential moving average) so the time left does not jump about. */
export function sampleSpeed(job: Job): void {
  if (job.state !== 'downloading') return;
  const now = Date.now();
  const { speed } = job;
  if (speed.at !== 0 && now > speed.at && job.bytesDone >= speed.bytes) {
    const current = ((job.bytesDone - speed.bytes) * 1000) / (now - speed.at);
    speed.bytesPerSecond = speed.bytesPerSecond === null ? current : 0.3 * current + 0.7 * speed.bytesPerSecond;
  }
  speed.at = now;
  speed.bytes = job.bytesDone;
}

export interface RunContext {
  gate: EgressGate;
  /** Pause, cancel or shutdown (a Stop as its reason). */
  signal: AbortSignal;
  stallTimeoutMs: number;
  retry: Required<RetryPolicy>;
  /** Show the job's status (`now`: at once, not throttled). */
  emit: (now?: boolean) => void;
  /** Write the job's sidecar. */
  persist: () => Promise<void>;
}

/** Attempts until the server has sent the whole file, retrying (with backoff) what is worth retrying. */
export async function downloadWithRetries(job: Job, context: RunContext): Promise<void> {
  const { signal, retry } = context;
  let failures = 0;
  for (;;) {
    job.attempt++;
    const before = job.bytesDone;
    try {
      await preparePartial(job, context);
      if (job.expectedSize !== null && job.bytesDone === job.expectedSize) return;
      await transferOnce(job, {
        gate: context.gate,
        signal,
        stallTimeoutMs: context.stallTimeoutMs,
        onProgress: () => context.emit(),
        checkpoint: context.persist,
      });
      return;
    } catch (error) {
      if (signal.aborted || !(error instanceof DownloadFailure)) throw error;
      if (job.bytesDone - before >= PROGRESS_RESETS_RETRIES) failures = 0;
      failures++;
      if (!error.retryable) throw error;
      if (failures >= retry.attempts) {
        const where = job.expectedSize !== null ? `at ${percentOf(job.bytesDone, job.expectedSize)} %` : `after ${job.bytesDone} bytes`;
        throw new DownloadFailure(
          `The download stopped ${where}: ${lowerFirst(error.message.replace(/\.$/, ''))}, ${failures} times in a row.${job.bytesDone > 0 ? ' What was downloaded is kept.' : ''}`,
          { cause: error },
        );
      }
      job.error = { code: 'download_failed', message: `${error.message} Trying again…` };
      context.emit(true);
      await sleep(Math.min(retry.maxDelayMs, retry.initialDelayMs * 2 ** (failures - 1)), signal);
      job.error = null;
    }
  }
}

/** Makes the part file and the hash agree with `bytesDone` (re-hashing what is on disk after a restart). */
async function preparePartial(job: Job, context: RunContext): Promise<void> {
  await mkdir(dirname(job.partPath), { recursive: true, mode: 0o700 });
  const onDisk = await stat(job.partPath).then((facts) => facts.size, () => null);
  if (onDisk === null) {
    await (await open(job.partPath, 'w', 0o600)).close();
    job.bytesDone = 0;
    job.hash = createHash('sha256');
    job.hashed = true;
  } else if (onDisk < job.bytesDone) {
    job.bytesDone = onDisk;
    job.hashed = false;
  } else if (onDisk > job.bytesDone) {
    // Bytes written after the last checkpoint are not trusted.
    await truncate(job.partPath, job.bytesDone);
  }
  if (!job.hashed) {
    job.hash = await hashPrefix(job.partPath, job.bytesDone, context.signal);
    job.hashed = true;
  }
  await context.persist();
}

/**
 * The finished part file must have the expected size, hash to the expected SHA-256 (pinned,
 * typed by the user, or reported by the host), start with the GGUF magic and pass `validate`.
 * Any failure says "nothing was saved": the caller deletes the bytes.
 */
export async function verifyFinishedFile(job: Job, validate: (path: string) => Promise<void>): Promise<void> {
  const size = (await stat(job.partPath)).size;
  if (job.expectedSize !== null && size !== job.expectedSize) {
    throw new DownloadFailure(`The download stopped at ${percentOf(size, job.expectedSize)} %: the file is incomplete. ${NOTHING_SAVED}`, { discard: true });
  }
  const digest = job.hash.copy().digest('hex');
  if (job.sha256 === null) {
    if (job.catalogId !== null) {
      throw new DownloadFailure(`Burrow could not check this download: the server did not report its checksum. ${NOTHING_SAVED}`, { discard: true });
    }
    job.sha256 = digest; // a URL pulled without --sha256: report what it hashed to
  } else if (digest !== job.sha256) {
    throw new DownloadFailure(`The download was corrupted (checksum mismatch). ${NOTHING_SAVED}`, { discard: true });
  }
  if ((await readMagic(job.partPath)) !== 'GGUF') {
    throw new DownloadFailure(`The downloaded file is not a GGUF model. ${NOTHING_SAVED}`, { discard: true });
  }
  try {
    await validate(job.partPath);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new DownloadFailure(`The downloaded file is not a usable model: ${message} ${NOTHING_SAVED}`, { discard: true });
  }
}

/** The default `validate`: the bounded GGUF validator, the same one that guards loading. */
export async function checkGguf(path: string): Promise<void> {
  const verdict = await validateGguf(path);
  if (!verdict.ok) throw new Error(verdict.message);
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
