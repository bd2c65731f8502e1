/**
 * Which files the documents API may read (SECURITY item 9): only ones the user handed over —
 * dropped on the window, chosen in the open dialog, named on the command line. A path that
 * arrives over IPC is checked before anything reads it: absolute, no `..`, resolved through any
 * symbolic link, a regular file (not a folder, FIFO or device), and granted. The checks use
 * lstat/realpath/stat only; the file's bytes are read later, by the extraction process, which
 * opens it without following links and verifies it is still the same file.
 */
import { lstatSync, realpathSync, statSync } from 'node:fs';
import { basename, isAbsolute, normalize } from 'node:path';
import { BurrowError } from '../../shared/errors';
import type { FileIdentity } from './types';

export interface AuthorizedFile {
  /** The real path (links resolved). */
  path: string;
  /** The name the user knows it by (the path they handed over, not its link target). */
  fileName: string;
  identity: FileIdentity;
}

const NOT_HANDED_OVER = 'Burrow only reads documents you hand over yourself. Drop the file on the window or choose it with Attach.';
const MAX_GRANTS = 1000;

export class DocumentAccess {
  /** Real paths the user handed over, oldest first. */
  readonly #granted = new Set<string>();
  /** Each granted path as it was handed over (a link, say) → its real path. */
  readonly #handedOver = new Map<string, string>();

  /** Records a file the user handed over (host only: dialog, drop, command line). Returns its real path. */
  grant(path: string): string {
    const file = checkFile(path);
    this.#granted.delete(file.path);
    this.#granted.add(file.path);
    this.#handedOver.delete(path);
    this.#handedOver.set(path, file.path);
    if (this.#granted.size > MAX_GRANTS) {
      const oldest = this.#granted.values().next();
      if (oldest.done !== true) this.#granted.delete(oldest.value);
    }
    if (this.#handedOver.size > MAX_GRANTS) {
      const oldest = this.#handedOver.keys().next();
      if (oldest.done !== true) this.#handedOver.delete(oldest.value);
    }
    return file.path;
  }

  /**
   * A path asked for over IPC: the file, if it was handed over; refused otherwise. A path never
   * handed over is refused before any file-system call, with one answer whatever is (or is not)
   * there: the answer must not tell a page whether ~/.ssh/id_rsa exists.
   */
  authorize(path: string): AuthorizedFile {
    if (typeof path !== 'string' || (!this.#granted.has(path) && !this.#handedOver.has(path))) throw new BurrowError('refused', NOT_HANDED_OVER);
    const file = checkFile(path);
    // The link may point elsewhere since it was handed over.
    if (!this.#granted.has(file.path)) throw new BurrowError('refused', NOT_HANDED_OVER);
    return file;
  }
}

/** The checks every path goes through before anything reads it. */
export function checkFile(path: string): AuthorizedFile {
  if (typeof path !== 'string' || path.length === 0 || path.includes('\0')) throw new BurrowError('refused', NOT_HANDED_OVER);
  if (!isAbsolute(path) || path.split(/[\\/]/).includes('..') || normalize(path) !== path.replace(/[\\/]+$/, '')) {
    throw new BurrowError('refused', `${NOT_HANDED_OVER} (Burrow does not accept relative paths or paths with "..".)`);
  }
  let real: string;
  try {
    lstatSync(path);
    real = realpathSync(path);
  } catch {
    throw new BurrowError('not_found', `"${basename(path)}" was not found. It may have been moved or deleted.`);
  }
  const stat = statSync(real);
  if (stat.isDirectory()) throw new BurrowError('refused', `"${basename(path)}" is a folder. Drop the documents inside it instead.`);
  if (!stat.isFile()) throw new BurrowError('refused', `"${basename(path)}" is not a regular file, so Burrow will not read it.`);
  return { path: real, fileName: basename(path), identity: { dev: stat.dev, ino: stat.ino, size: stat.size } };
}
