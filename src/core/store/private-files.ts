/**
 * Burrow's data folder holds everything a person wrote: on Linux and macOS it is readable by
 * its owner only. The folder and every folder in it are 0700 and every file 0600, set when
 * they are made and again at every open (so a folder made by an older Burrow, with the
 * umask's 0755/0644, is closed up too). Windows keeps its ACLs: the profile folder is
 * private already, and chmod there only toggles read-only.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const PRIVATE_DIR_MODE = 0o700;
export const PRIVATE_FILE_MODE = 0o600;

const applies = (platform: NodeJS.Platform = process.platform): boolean => platform !== 'win32';

/** Makes `dir` (and missing parents) and sets it to 0700. */
export function makePrivateDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: PRIVATE_DIR_MODE });
  if (applies()) chmodSync(dir, PRIVATE_DIR_MODE);
}

/** Sets one file Burrow wrote to 0600. */
export function makePrivateFile(file: string): void {
  if (applies()) chmodSync(file, PRIVATE_FILE_MODE);
}

/**
 * Sets the data folder to 0700 and everything under it to 0700 (folders) or 0600 (files).
 * Symbolic links are left alone (and not followed): what they point to is not Burrow's.
 * Files that vanish meanwhile (a WAL checkpointed away) are skipped.
 */
export function securePrivateTree(root: string): void {
  if (!applies()) return;
  makePrivateDir(root);
  const pending = [root];
  while (pending.length > 0) {
    const dir = pending.pop()!;
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      continue;
    }
    for (const name of names) {
      const path = join(dir, name);
      try {
        const stat = lstatSync(path);
        if (stat.isDirectory()) {
          if ((stat.mode & 0o777) !== PRIVATE_DIR_MODE) chmodSync(path, PRIVATE_DIR_MODE);
          pending.push(path);
        } else if (stat.isFile() && (stat.mode & 0o777) !== PRIVATE_FILE_MODE) {
          chmodSync(path, PRIVATE_FILE_MODE);
        }
      } catch {
        // Gone meanwhile, or not ours to change: the next open tries again.
      }
    }
  }
}
