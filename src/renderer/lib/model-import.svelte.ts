import type { LibraryModel } from '../../shared/contract';
import { MAX_IMPORT_CHUNK_BYTES } from '../../shared/limits';
import { invoke } from './bridge';
import { readBase64 } from './document-upload';

export interface ImportProgress {
  fileName: string;
  sizeBytes: number;
  sentBytes: number;
  /** 'copying': bytes are being sent; 'checking': the core validates the file. */
  phase: 'copying' | 'checking' | 'failed';
  error: string | null;
}

/**
 * Adds a dropped .gguf file to the library: its bytes are read in the renderer and streamed to
 * the core in chunks (the browser host cannot pass a path), then checked there before the file
 * appears in the models folder. One import at a time.
 */
export class ModelImporter {
  #current = $state<ImportProgress | null>(null);
  #importId: string | null = null;
  #cancelled = false;

  get current(): ImportProgress | null {
    return this.#current;
  }
  get busy(): boolean {
    return this.#current !== null && this.#current.phase !== 'failed';
  }

  /** Resolves with the new library entry, or null when it failed (the reason stays in `current`) or was cancelled. */
  async importFile(file: File): Promise<LibraryModel | null> {
    if (this.busy) return null;
    this.#cancelled = false;
    this.#current = { fileName: file.name, sizeBytes: file.size, sentBytes: 0, phase: 'copying', error: null };
    if (!/\.gguf$/i.test(file.name)) return this.#fail(`“${file.name}” is not a .gguf model file. Burrow can add GGUF models only; nothing was saved.`);
    if (file.size === 0) return this.#fail(`“${file.name}” is empty (0 bytes), so it is not a model; nothing was saved.`);
    const begun = await invoke('models.importBegin', { fileName: file.name, sizeBytes: file.size });
    if (!begun.ok) return this.#fail(begun.error.message);
    const importId = begun.value.importId;
    this.#importId = importId;
    try {
      for (let offset = 0; offset < file.size; offset += MAX_IMPORT_CHUNK_BYTES) {
        if (this.#cancelled) return null;
        const dataBase64 = await readBase64(file.slice(offset, offset + MAX_IMPORT_CHUNK_BYTES));
        const sent = await invoke('models.importChunk', { importId, offset, dataBase64 });
        if (this.#cancelled) return null;
        if (!sent.ok) {
          void invoke('models.importCancel', { importId });
          return this.#fail(`${sent.error.message} Nothing was saved.`);
        }
        this.#current = { ...this.#current, sentBytes: sent.value.receivedBytes };
      }
      this.#current = { ...this.#current, phase: 'checking' };
      const finished = await invoke('models.importFinish', { importId });
      if (!finished.ok) return this.#fail(`${finished.error.message} Nothing was saved.`);
      this.#current = null;
      return finished.value;
    } catch (error) {
      void invoke('models.importCancel', { importId });
      return this.#fail(`Burrow could not read the file: ${error instanceof Error ? error.message : String(error)}. Nothing was saved.`);
    } finally {
      this.#importId = null;
    }
  }

  async cancel(): Promise<void> {
    this.#cancelled = true;
    const importId = this.#importId;
    this.#current = null;
    if (importId !== null) await invoke('models.importCancel', { importId });
  }

  dismiss(): void {
    if (this.#current?.phase === 'failed') this.#current = null;
  }

  #fail(message: string): null {
    this.#current = { fileName: this.#current?.fileName ?? '', sizeBytes: this.#current?.sizeBytes ?? 0, sentBytes: this.#current?.sentBytes ?? 0, phase: 'failed', error: message };
    return null;
  }
}
