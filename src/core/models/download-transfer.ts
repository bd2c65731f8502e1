/**
 * One attempt at fetching a model file: an HTTP request through the egress gate (with
 * `Range` when bytes are already on disk), checks on what the server answers, and the body
 * streamed to the part file while it is hashed. Retrying, pausing and verifying belong to
 * the downloader; this module only says whether a failure is worth retrying.
 */
import { formatBytes } from '../../shared/format-bytes';
import type { Hash } from 'node:crypto';
import { createHash } from 'node:crypto';
import { open } from 'node:fs/promises';
import type { Sha256Source } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import type { EgressGate } from '../net/egress';

/** A download failure a user can read. `retryable`: worth another attempt. `discard`: the bytes are worthless. */
export class DownloadFailure extends Error {
  readonly code: string;
  readonly retryable: boolean;
  readonly discard: boolean;
  constructor(message: string, options: { code?: string; retryable?: boolean; discard?: boolean; cause?: unknown } = {}) {
    super(message, { cause: options.cause });
    this.name = 'DownloadFailure';
    this.code = options.code ?? 'download_failed';
    this.retryable = options.retryable ?? false;
    this.discard = options.discard ?? false;
  }
}

export const NOTHING_SAVED = 'Nothing was saved. Try again.';
const WEB_PAGE = `The server sent a web page instead of the model file. ${NOTHING_SAVED}`;

/** The part of a download a transfer reads and advances. `hash` always covers exactly `bytesDone` bytes. */
export interface TransferTarget {
  url: string;
  reason: string;
  userTypedUrl: boolean;
  partPath: string;
  expectedSize: number | null;
  sha256: string | null;
  sha256Source: Sha256Source;
  bytesDone: number;
  hash: Hash;
}

export interface TransferOptions {
  gate: EgressGate;
  /** Pause, cancel or shutdown: its reason is rethrown untouched. */
  signal: AbortSignal;
  /** No bytes for this long → abort and let the downloader retry. */
  stallTimeoutMs: number;
  /** Called after bytes are written (the downloader throttles what it shows). */
  onProgress: () => void;
  /** Called when the server told us the size or checksum, and about once a second while bytes arrive. */
  checkpoint: () => Promise<void>;
  checkpointIntervalMs?: number;
}

/** Runs one attempt. Resolves when the server has sent everything it is going to send. */
export async function transferOnce(target: TransferTarget, options: TransferOptions): Promise<void> {
  const stall = new AbortController();
  const stalled = (): void =>
    stall.abort(new DownloadFailure(`No data arrived for ${Number((options.stallTimeoutMs / 1000).toFixed(1))} s.`, { retryable: true }));
  let timer = setTimeout(stalled, options.stallTimeoutMs);
  const resetStallTimer = (): void => {
    clearTimeout(timer);
    timer = setTimeout(stalled, options.stallTimeoutMs);
  };
  const signal = AbortSignal.any([options.signal, stall.signal]);
  try {
    const offset = target.bytesDone;
    const headers: Record<string, string> = { 'accept-encoding': 'identity' };
    if (offset > 0) headers.range = `bytes=${offset}-`;
    const { response, redirects } = await options.gate.request(target.url, { headers, signal }, target.reason, {
      userTypedUrl: target.userTypedUrl,
    });
    resetStallTimer();
    const body = response.body;
    try {
      const { start, sizeMismatch } = acceptResponse(target, response, [...redirects, response.headers], offset);
      if (body === null) throw new DownloadFailure(`The server sent no data. ${NOTHING_SAVED}`, { discard: true });
      if (sizeMismatch !== null) throw await explainMismatch(body, sizeMismatch);
      if (start === 0 && offset > 0) {
        // The server ignored our Range and sent the whole file: start over.
        target.bytesDone = 0;
        target.hash = createHash('sha256');
      }
      await options.checkpoint();
      await streamBody(target, body, options, resetStallTimer);
    } finally {
      await body?.cancel().catch(() => undefined);
    }
  } catch (error) {
    if (options.signal.aborted) throw options.signal.reason;
    if (stall.signal.aborted) throw stall.signal.reason;
    throw classify(error, target.url);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Checks status and headers; returns the offset the body starts at, and the failure to report
 * when the size is wrong (after a look at the body: an error page is better called that).
 */
function acceptResponse(
  target: TransferTarget,
  response: Response,
  allHeaders: Headers[],
  offset: number,
): { start: number; sizeMismatch: DownloadFailure | null } {
  const { status } = response;
  if (status === 404 || status === 410) {
    throw new DownloadFailure(`The model file was not found on the server (HTTP ${status}). Check the model name or address.`, {
      code: 'not_found',
    });
  }
  if (status === 401 || status === 403) {
    throw new DownloadFailure(`The server refused to send the model file (HTTP ${status}). It may need an account or a licence accepted on its website.`, {
      code: 'refused',
    });
  }
  if (status === 416) {
    throw new DownloadFailure(`The server could not continue the download where it stopped. ${NOTHING_SAVED}`, { discard: true });
  }
  if (status === 408 || status === 429 || status >= 500) {
    throw new DownloadFailure(`The server is busy or failing (HTTP ${status}).`, { retryable: true });
  }
  if (status !== 200 && status !== 206) {
    throw new DownloadFailure(`The server answered HTTP ${status} instead of sending the model file.`, { discard: offset === 0 });
  }

  const type = response.headers.get('content-type') ?? '';
  if (/^\s*(text\/|application\/(xhtml\+xml|json|xml))/i.test(type)) throw new DownloadFailure(WEB_PAGE, { discard: true });
  const encoding = response.headers.get('content-encoding');
  if (encoding !== null && encoding.trim().toLowerCase() !== 'identity') {
    throw new DownloadFailure(`The server compressed the model file (${encoding.slice(0, 40)}), which Burrow does not accept. ${NOTHING_SAVED}`, {
      discard: true,
    });
  }

  let start = 0;
  let total: number | null = null;
  if (status === 206) {
    const range = /^bytes (\d+)-(\d+)\/(\d+|\*)$/.exec(response.headers.get('content-range')?.trim() ?? '');
    if (range === null || Number(range[1]) !== offset) {
      // A range we did not ask for: the bytes on disk cannot be continued safely.
      throw new DownloadFailure(`The server sent the wrong part of the file. ${NOTHING_SAVED}`, { discard: true });
    }
    start = offset;
    total = range[3] === '*' ? null : Number(range[3]);
  } else {
    const length = response.headers.get('content-length');
    total = length !== null && /^\d+$/.test(length.trim()) ? Number(length) : null;
  }

  const linked = linkedFacts(allHeaders);
  total ??= linked.size;
  if (total !== null && target.expectedSize !== null && total !== target.expectedSize) {
    const message = `The server's copy of this model is ${formatBytes(total)}, but it should be ${formatBytes(target.expectedSize)}. ${NOTHING_SAVED}`;
    return { start, sizeMismatch: new DownloadFailure(message, { discard: true }) };
  }
  if (total !== null) target.expectedSize ??= total;
  if (linked.sha256 !== null) {
    if (target.sha256 === null) {
      target.sha256 = linked.sha256;
      target.sha256Source = 'host';
    } else if (target.sha256 !== linked.sha256) {
      throw new DownloadFailure(`The server's checksum for this model differs from the expected one, so it is not the right file. ${NOTHING_SAVED}`, {
        discard: true,
      });
    }
  }
  return { start, sizeMismatch: null };
}

/** Reads the first chunk of a body already known to be the wrong size: a web page, or just the wrong file? */
async function explainMismatch(body: ReadableStream<Uint8Array>, mismatch: DownloadFailure): Promise<DownloadFailure> {
  const reader = body.getReader();
  try {
    const { value } = await reader.read();
    if (value !== undefined && Buffer.from(value.subarray(0, 64)).toString('latin1').trimStart().startsWith('<')) {
      return new DownloadFailure(WEB_PAGE, { discard: true });
    }
  } catch {
    // unreadable: the size is reason enough
  } finally {
    await reader.cancel().catch(() => undefined);
  }
  return mismatch;
}

/**
 * The size and LFS SHA-256 Hugging Face reports for the file at the pinned revision. They sit
 * on the resolve URL's redirect (`x-linked-size`, `x-linked-etag`), not on the CDN's answer.
 */
function linkedFacts(allHeaders: Headers[]): { size: number | null; sha256: string | null } {
  let size: number | null = null;
  let sha256: string | null = null;
  for (const headers of allHeaders) {
    const linkedSize = headers.get('x-linked-size')?.trim();
    if (size === null && linkedSize !== undefined && /^\d+$/.test(linkedSize)) size = Number(linkedSize);
    const etag = /^(?:W\/)?"?([0-9a-f]{64})"?$/i.exec(headers.get('x-linked-etag')?.trim() ?? '');
    if (sha256 === null && etag?.[1] !== undefined) sha256 = etag[1].toLowerCase();
  }
  return { size, sha256 };
}

async function streamBody(target: TransferTarget, body: ReadableStream<Uint8Array>, options: TransferOptions, onBytes: () => void): Promise<void> {
  const reader = body.getReader();
  const handle = await open(target.partPath, 'r+');
  try {
    await handle.truncate(target.bytesDone);
    const interval = options.checkpointIntervalMs ?? 1000;
    let lastCheckpoint = Date.now();
    let head = target.bytesDone === 0 ? Buffer.alloc(0) : null;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (value.byteLength === 0) continue;
      onBytes();
      if (head !== null) {
        head = Buffer.concat([head, value.subarray(0, 16)]);
        if (head.length >= 4) {
          checkHead(head);
          head = null;
        }
      }
      if (target.expectedSize !== null && target.bytesDone + value.byteLength > target.expectedSize) {
        throw new DownloadFailure(`The server sent more data than this model's size. ${NOTHING_SAVED}`, { discard: true });
      }
      await handle.write(value, 0, value.byteLength, target.bytesDone);
      // Only after the write: the hash must never cover bytes that are not on disk.
      target.hash.update(value);
      target.bytesDone += value.byteLength;
      options.onProgress();
      if (Date.now() - lastCheckpoint >= interval) {
        await handle.datasync();
        await options.checkpoint();
        lastCheckpoint = Date.now();
      }
    }
    if (head !== null && head.length > 0) checkHead(head);
    await handle.datasync();
  } finally {
    // Released on every way out, so a rejected body does not keep the connection busy.
    await reader.cancel().catch(() => undefined);
    await handle.close();
  }
  if (target.expectedSize !== null && target.bytesDone < target.expectedSize) {
    throw new DownloadFailure(
      `The download stopped at ${percentOf(target.bytesDone, target.expectedSize)} %: the server ended the file early. ${NOTHING_SAVED}`,
      { discard: true },
    );
  }
}

/** Rejects an error page or any other non-model answer from its first bytes. */
function checkHead(head: Buffer): void {
  const text = head.toString('latin1').trimStart();
  if (text.startsWith('<')) throw new DownloadFailure(WEB_PAGE, { discard: true });
  if (head.length >= 4 && head.subarray(0, 4).toString('latin1') !== 'GGUF') {
    throw new DownloadFailure(`The server sent a file that is not a GGUF model. ${NOTHING_SAVED}`, { discard: true });
  }
}

const DISK_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EACCES', 'EPERM', 'EIO', 'EMFILE']);

/** The computer cannot reach the network at all, or this host: retrying in a loop would only make the user wait. */
const UNREACHABLE = new Set(['ENOTFOUND', 'EAI_AGAIN', 'ENETUNREACH', 'EHOSTUNREACH', 'ENETDOWN']);

/**
 * Anything else thrown by an attempt: refusals stay refusals, disk trouble is final, an
 * unreachable network is said at once in plain words, other network trouble is retried.
 */
export function classify(error: unknown, url: string): DownloadFailure {
  if (error instanceof DownloadFailure) return error;
  if (error instanceof BurrowError) return new DownloadFailure(error.message, { code: error.code, cause: error });
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code !== undefined && DISK_ERRORS.has(code)) {
    const message =
      code === 'ENOSPC' || code === 'EDQUOT'
        ? 'There is not enough free disk space for this model. Free some space, then resume the download.'
        : `Burrow could not write the model file (${code}). Check the models folder, then resume the download.`;
    return new DownloadFailure(message, { code: 'storage_error', cause: error });
  }
  const cause = (error as { cause?: { code?: string; message?: string } } | null)?.cause;
  const networkCode = cause?.code ?? code;
  const host = hostOf(url);
  if (networkCode !== undefined && UNREACHABLE.has(networkCode)) {
    return new DownloadFailure(`Burrow could not reach ${host}: this computer seems to be offline, or a firewall blocks it.`, { code: 'offline', cause: error });
  }
  if (networkCode === 'ECONNREFUSED') return new DownloadFailure(`${host} refused the connection.`, { retryable: true, cause: error });
  if (networkCode === 'ECONNRESET' || networkCode === 'EPIPE' || networkCode === 'UND_ERR_SOCKET') return new DownloadFailure(`The connection to ${host} was cut.`, { retryable: true, cause: error });
  const detail = networkCode ?? cause?.message ?? (error instanceof Error ? error.message : String(error));
  return new DownloadFailure(`The connection to ${host} failed (${String(detail).slice(0, 80)}).`, { retryable: true, cause: error });
}

function hostOf(url: string): string {
  try {
    return new URL(url).host || 'the server';
  } catch {
    return 'the server';
  }
}

export function percentOf(done: number, total: number): number {
  return total > 0 ? Math.floor((done / total) * 100) : 0;
}

