/**
 * Documents streamed in by the renderer (a drop in the browser host, which cannot hand over a
 * path): written chunk by chunk to a private temporary file in the data folder, extracted from
 * there, then deleted. Nothing is kept of an upload that is cancelled or abandoned.
 */
import { randomUUID } from 'node:crypto';
import { closeSync, fstatSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { BurrowError } from '../../shared/errors';
import { MAX_IMPORT_CHUNK_BYTES } from '../../shared/limits';
import { formatOf, SUPPORTED_EXTENSIONS } from './extract/extract';
import type { ExtractionCaps, FileIdentity } from './types';

export interface FinishedUpload {
  path: string;
  fileName: string;
  identity: FileIdentity;
  conversationId: string | undefined;
  /** The size the renderer announced (more than was sent when only the first part of a long text was wanted). */
  declaredBytes: number;
  /** Deletes the temporary file. */
  discard(): void;
}

interface Upload {
  fileName: string;
  conversationId: string | undefined;
  declaredBytes: number;
  acceptBytes: number;
  received: number;
  fd: number;
  path: string;
}

/** Uploads in progress at once; a forgotten one is dropped when this is reached. */
const MAX_OPEN_UPLOADS = 8;

export class DocumentUploads {
  readonly #dir: string;
  readonly #caps: Pick<ExtractionCaps, 'maxFileBytes' | 'maxChars'>;
  readonly #uploads = new Map<string, Upload>();

  constructor(dir: string, caps: Pick<ExtractionCaps, 'maxFileBytes' | 'maxChars'>) {
    this.#dir = dir;
    this.#caps = caps;
    // Left over from a run that stopped mid-upload.
    rmSync(dir, { recursive: true, force: true });
  }

  /** Whether a file is being sent into this conversation now. */
  hasUploadFor(conversationId: string): boolean {
    for (const upload of this.#uploads.values()) if (upload.conversationId === conversationId) return true;
    return false;
  }

  begin(input: { fileName: string; sizeBytes: number; conversationId?: string | undefined }): { uploadId: string; acceptBytes: number } {
    const format = formatOf(input.fileName);
    if (format === null) {
      throw new BurrowError('document_unreadable', `Burrow cannot read this kind of file. It reads ${SUPPORTED_EXTENSIONS.join(', ')} files.`);
    }
    const whole = format === 'pdf' || format === 'docx' || format === 'epub';
    if (whole && input.sizeBytes > this.#caps.maxFileBytes) {
      throw new BurrowError('document_unreadable', `This file is too large (${Math.round(input.sizeBytes / 1024 / 1024)} MB). Burrow reads ${format.toUpperCase()} files up to ${Math.round(this.#caps.maxFileBytes / 1024 / 1024)} MB.`);
    }
    // Text is read only as far as the character cap can use (four bytes a character at most).
    const acceptBytes = whole ? input.sizeBytes : Math.min(input.sizeBytes, this.#caps.maxFileBytes, this.#caps.maxChars * 4 + 4);
    while (this.#uploads.size >= MAX_OPEN_UPLOADS) {
      const oldest = this.#uploads.keys().next();
      if (oldest.done === true) break;
      this.cancel(oldest.value);
    }
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    const uploadId = randomUUID();
    const path = join(this.#dir, uploadId);
    const fd = openSync(path, 'wx', 0o600);
    this.#uploads.set(uploadId, { fileName: input.fileName, conversationId: input.conversationId, declaredBytes: input.sizeBytes, acceptBytes, received: 0, fd, path });
    return { uploadId, acceptBytes };
  }

  chunk(input: { uploadId: string; offset: number; dataBase64: string }): { receivedBytes: number } {
    const upload = this.#get(input.uploadId);
    if (input.offset !== upload.received) {
      throw new BurrowError('invalid_input', `This piece starts at byte ${input.offset}, but ${upload.received} bytes have arrived. Send the pieces in order.`);
    }
    const data = Buffer.from(input.dataBase64, 'base64');
    if (data.length > MAX_IMPORT_CHUNK_BYTES) throw new BurrowError('invalid_input', 'A piece of an upload may hold at most 512 KiB.');
    if (upload.received + data.length > upload.acceptBytes) {
      this.cancel(input.uploadId);
      throw new BurrowError('invalid_input', `More bytes arrived than were announced (${upload.acceptBytes}). The upload was cancelled.`);
    }
    let written = 0;
    while (written < data.length) written += writeSync(upload.fd, data, written, data.length - written, upload.received + written);
    upload.received += data.length;
    return { receivedBytes: upload.received };
  }

  finish(uploadId: string): FinishedUpload {
    const upload = this.#get(uploadId);
    this.#uploads.delete(uploadId);
    try {
      if (upload.received !== upload.acceptBytes) {
        throw new BurrowError('invalid_input', `The upload ended after ${upload.received} of ${upload.acceptBytes} bytes. Drop the file again.`);
      }
      const stat = fstatSync(upload.fd);
      closeSync(upload.fd);
      return {
        path: upload.path,
        fileName: upload.fileName,
        identity: { dev: stat.dev, ino: stat.ino, size: stat.size },
        conversationId: upload.conversationId,
        declaredBytes: upload.declaredBytes,
        discard: () => rmSync(upload.path, { force: true }),
      };
    } catch (error) {
      closeQuietly(upload.fd);
      rmSync(upload.path, { force: true });
      throw error;
    }
  }

  cancel(uploadId: string): boolean {
    const upload = this.#uploads.get(uploadId);
    if (upload === undefined) return false;
    this.#uploads.delete(uploadId);
    closeQuietly(upload.fd);
    rmSync(upload.path, { force: true });
    return true;
  }

  dispose(): void {
    for (const uploadId of [...this.#uploads.keys()]) this.cancel(uploadId);
  }

  #get(uploadId: string): Upload {
    const upload = this.#uploads.get(uploadId);
    if (upload === undefined) throw new BurrowError('not_found', 'This upload is not in progress (it finished, was cancelled, or Burrow restarted). Drop the file again.');
    return upload;
  }
}

function closeQuietly(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}
