/**
 * Model files dropped on the window, copied into the models folder. The renderer cannot hand
 * over a path (the browser host has none, and the app's bridge exposes nothing but the
 * contract), so it streams the file's bytes in ordered chunks into a hidden temporary file;
 * only once every byte is there and the bounded GGUF validator accepts it is the file moved
 * into the library, under a name that never replaces an existing model. Anything refused,
 * cancelled or abandoned is deleted.
 */
import { randomUUID } from 'node:crypto';
import { constants as fsConstants } from 'node:fs';
import { link, mkdir, open, readdir, rename, rm, stat, statfs, unlink, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { MAX_IMPORT_CHUNK_BYTES } from '../../shared/limits';
import { BurrowError } from '../../shared/errors';
import { validateGguf, type GgufVerdict } from '../gguf/gguf-validator';

/** Hidden, so the library listing never shows a half-copied file. */
export const IMPORT_DIR = '.import';

export interface ModelImportsOptions {
  modelsDir: string;
  /** Default: the bounded GGUF validator. */
  validate?: (path: string) => Promise<GgufVerdict>;
  /** An import that receives nothing for this long is cancelled (a closed window). Default 5 minutes. */
  idleTimeoutMs?: number;
  /** Imports at once. Default 2. */
  maxConcurrent?: number;
}

interface ImportSession {
  id: string;
  fileName: string;
  sizeBytes: number;
  received: number;
  tempPath: string;
  handle: FileHandle;
  writing: boolean;
  timer: ReturnType<typeof setTimeout> | null;
}

export class ModelImports {
  readonly #modelsDir: string;
  readonly #tempDir: string;
  readonly #validate: (path: string) => Promise<GgufVerdict>;
  readonly #idleTimeoutMs: number;
  readonly #maxConcurrent: number;
  readonly #sessions = new Map<string, ImportSession>();
  #cleared: Promise<void>;

  constructor(options: ModelImportsOptions) {
    this.#modelsDir = options.modelsDir;
    this.#tempDir = join(options.modelsDir, IMPORT_DIR);
    this.#validate = options.validate ?? validateGguf;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? 5 * 60_000;
    this.#maxConcurrent = options.maxConcurrent ?? 2;
    // Leftovers of a run that ended mid-import are never resumable (the renderer's File is gone).
    // Only stale ones go: another Burrow on the same folder (the CLI beside the app) may be importing.
    this.#cleared = removeStale(this.#tempDir, this.#idleTimeoutMs).catch(() => undefined);
  }

  async begin(fileName: string, sizeBytes: number): Promise<{ importId: string }> {
    const name = safeModelFileName(fileName);
    await this.#cleared;
    if (this.#sessions.size >= this.#maxConcurrent) {
      throw new BurrowError('busy', 'Burrow is already adding other model files. Wait for them to finish, then drop this one again.');
    }
    await mkdir(this.#tempDir, { recursive: true, mode: 0o700 });
    const free = await freeBytes(this.#modelsDir);
    if (free !== null && free < sizeBytes) {
      throw new BurrowError('refused', `There is not enough free disk space for "${name}": it needs ${gigabytes(sizeBytes)} and ${gigabytes(free)} is free.`);
    }
    const id = randomUUID();
    const tempPath = join(this.#tempDir, `${id}.part`);
    const handle = await open(tempPath, fsConstants.O_CREAT | fsConstants.O_EXCL | fsConstants.O_WRONLY, 0o600);
    const session: ImportSession = { id, fileName: name, sizeBytes, received: 0, tempPath, handle, writing: false, timer: null };
    this.#sessions.set(id, session);
    this.#touch(session);
    return { importId: id };
  }

  /** Appends one chunk; chunks must arrive in order (`offset` = the bytes received so far). */
  async chunk(importId: string, offset: number, dataBase64: string): Promise<{ receivedBytes: number }> {
    const session = this.#session(importId);
    if (session.writing) throw new BurrowError('busy', 'Send the chunks of an import one at a time.');
    if (offset !== session.received) {
      throw new BurrowError('invalid_input', `This import expected the bytes from ${session.received}, not from ${offset}.`);
    }
    const data = Buffer.from(dataBase64, 'base64');
    if (data.length === 0 || data.length > MAX_IMPORT_CHUNK_BYTES) {
      throw new BurrowError('invalid_input', `A chunk must hold 1 to ${MAX_IMPORT_CHUNK_BYTES} bytes.`);
    }
    if (session.received + data.length > session.sizeBytes) {
      await this.#discard(session);
      throw new BurrowError('invalid_input', `The file is longer than the ${session.sizeBytes} bytes announced, so it was not added.`);
    }
    session.writing = true;
    try {
      await session.handle.write(data, 0, data.length, offset);
      session.received += data.length;
    } catch (error) {
      await this.#discard(session);
      throw new BurrowError('storage_error', `Burrow could not save the model file: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    } finally {
      session.writing = false;
    }
    this.#touch(session);
    return { receivedBytes: session.received };
  }

  /** Checks the complete file and moves it into the models folder. Resolves with its path there. */
  async finish(importId: string): Promise<string> {
    const session = this.#session(importId);
    if (session.writing) throw new BurrowError('busy', 'The last chunk of this import is still being written.');
    if (session.received !== session.sizeBytes) {
      throw new BurrowError('invalid_input', `Only ${session.received} of ${session.sizeBytes} bytes of "${session.fileName}" arrived.`);
    }
    this.#sessions.delete(session.id);
    this.#stopTimer(session);
    try {
      await session.handle.close();
      let verdict: GgufVerdict;
      try {
        verdict = await this.#validate(session.tempPath);
      } catch (error) {
        throw new BurrowError('model_invalid', `Burrow could not read the copied file: ${error instanceof Error ? error.message : String(error)}`);
      }
      if (!verdict.ok) throw new BurrowError('model_invalid', `"${session.fileName}" was not added: ${verdict.message}`);
      return await placeWithoutReplacing(session.tempPath, this.#modelsDir, session.fileName);
    } finally {
      await unlink(session.tempPath).catch(() => undefined);
    }
  }

  async cancel(importId: string): Promise<{ cancelled: boolean }> {
    const session = this.#sessions.get(importId);
    if (session === undefined) return { cancelled: false };
    await this.#discard(session);
    return { cancelled: true };
  }

  get activeCount(): number {
    return this.#sessions.size;
  }

  async dispose(): Promise<void> {
    await Promise.all([...this.#sessions.values()].map((session) => this.#discard(session)));
  }

  #session(importId: string): ImportSession {
    const session = this.#sessions.get(importId);
    if (session === undefined) throw new BurrowError('not_found', 'That import no longer exists (it was cancelled, finished, or left idle too long). Drop the file again.');
    return session;
  }

  async #discard(session: ImportSession): Promise<void> {
    this.#sessions.delete(session.id);
    this.#stopTimer(session);
    await session.handle.close().catch(() => undefined);
    await unlink(session.tempPath).catch(() => undefined);
  }

  #touch(session: ImportSession): void {
    this.#stopTimer(session);
    session.timer = setTimeout(() => void this.#discard(session), this.#idleTimeoutMs);
    session.timer.unref();
  }

  #stopTimer(session: ImportSession): void {
    if (session.timer !== null) clearTimeout(session.timer);
    session.timer = null;
  }
}

/**
 * The name a dropped file gets in the models folder: its own base name, reduced to characters
 * that are safe on every platform. Refuses anything that is not a .gguf file.
 */
export function safeModelFileName(fileName: string): string {
  const base = fileName.split(/[\\/]/).pop() ?? '';
  if (!base.toLowerCase().endsWith('.gguf')) {
    throw new BurrowError('model_invalid', `"${base.slice(0, 100)}" is not a .gguf model file. Burrow can add GGUF models only.`);
  }
  const stem = base
    .slice(0, -'.gguf'.length)
    .replace(/[^A-Za-z0-9._ ()+-]/g, '_')
    .replace(/^[.\s]+/, '')
    .trim()
    .slice(0, 180);
  return `${stem === '' ? 'model' : stem}.gguf`;
}

/** Moves `temp` to `dir/name`, or `name (2)`, `name (3)`… when taken; never replaces a file. */
async function placeWithoutReplacing(temp: string, dir: string, name: string): Promise<string> {
  const stem = name.slice(0, -'.gguf'.length);
  for (let n = 1; n <= 1000; n++) {
    const destination = join(dir, n === 1 ? name : `${stem} (${n}).gguf`);
    try {
      // link() fails when the name is taken, where rename() would silently replace it.
      await link(temp, destination);
      return destination;
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EEXIST') continue;
      if (code === 'EPERM' || code === 'ENOTSUP' || code === 'EXDEV' || code === 'ENOSYS') {
        // File systems without hard links: a rename to a fresh name, checked just before.
        const taken = await stat(destination).then(
          () => true,
          () => false,
        );
        if (taken) continue;
        await rename(temp, destination);
        return destination;
      }
      throw error;
    }
  }
  throw new BurrowError('refused', `There are already too many models named "${name}" in the models folder.`);
}

async function removeStale(dir: string, olderThanMs: number): Promise<void> {
  const names = await readdir(dir).catch(() => []);
  const cutoff = Date.now() - olderThanMs;
  for (const name of names) {
    const path = join(dir, name);
    const facts = await stat(path).catch(() => null);
    if (facts !== null && facts.mtimeMs < cutoff) await rm(path, { force: true, recursive: true });
  }
}

async function freeBytes(dir: string): Promise<number | null> {
  try {
    const facts = await statfs(dir);
    return facts.bavail * facts.bsize;
  } catch {
    return null;
  }
}

function gigabytes(bytes: number): string {
  return bytes >= 1024 ** 3 ? `${(bytes / 1024 ** 3).toFixed(1)} GB` : `${Math.ceil(bytes / 1024 ** 2)} MB`;
}
