/**
 * Hands a file the user dropped or chose over to the core. In the desktop app the preload can
 * grant the file's path (only a File the user handed over has one), so the core reads it from
 * disk; in the browser host the bytes are streamed in chunks (documents.uploadBegin/Chunk/Finish),
 * as many as the core will read.
 */
import type { DocumentInfo } from '../../shared/contract';
import type { Result } from '../../shared/errors';
import { MAX_IMPORT_CHUNK_BYTES } from '../../shared/limits';
import { getBridge, invoke } from './bridge';

/** The preload's optional extra (desktop app only): grants a dropped or chosen file, returns its path. */
export interface FileGrant {
  grantFile?: (file: File) => Promise<string | null>;
}

export interface UploadOptions {
  conversationId?: string | undefined;
  /** Told the bytes sent so far (uploads only). */
  onProgress?: (sentBytes: number, totalBytes: number) => void;
  /** Checked between chunks: true stops the upload. */
  cancelled?: () => boolean;
}

/** The document as the core read it, the reason it could not, or null when cancelled. */
export async function handOverFile(file: File, options: UploadOptions = {}): Promise<Result<DocumentInfo> | null> {
  const conversation = options.conversationId === undefined ? {} : { conversationId: options.conversationId };
  const grant = (getBridge() as FileGrant).grantFile;
  if (grant !== undefined) {
    const path = await grant(file);
    if (path !== null) return invoke('documents.add', { path, ...conversation });
  }
  const begun = await invoke('documents.uploadBegin', { fileName: file.name.slice(0, 255) || 'document', sizeBytes: file.size, ...conversation });
  if (!begun.ok) return begun;
  const { uploadId, acceptBytes } = begun.value;
  const total = Math.min(acceptBytes, file.size);
  try {
    for (let offset = 0; offset < total; offset += MAX_IMPORT_CHUNK_BYTES) {
      if (options.cancelled?.() === true) {
        void invoke('documents.uploadCancel', { uploadId });
        return null;
      }
      const dataBase64 = await readBase64(file.slice(offset, Math.min(total, offset + MAX_IMPORT_CHUNK_BYTES)));
      const sent = await invoke('documents.uploadChunk', { uploadId, offset, dataBase64 });
      if (!sent.ok) {
        void invoke('documents.uploadCancel', { uploadId });
        return sent;
      }
      options.onProgress?.(sent.value.receivedBytes, total);
    }
  } catch (error) {
    void invoke('documents.uploadCancel', { uploadId });
    return { ok: false, error: { code: 'document_unreadable', message: `Burrow could not read the file: ${error instanceof Error ? error.message : String(error)}` } };
  }
  return invoke('documents.uploadFinish', { uploadId });
}

/** The blob's bytes as base64, encoded natively (a data: URL) rather than in JavaScript. */
export function readBase64(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => {
      const url = String(reader.result);
      resolve(url.slice(url.indexOf(',') + 1));
    };
    reader.onerror = () => reject(reader.error ?? new Error('the file could not be read'));
    reader.readAsDataURL(blob);
  });
}
