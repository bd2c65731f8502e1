import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

/** Stops counting after this many entries: the settings view shows a size, not an audit. */
const MAX_ENTRIES = 200_000;

/**
 * Bytes taken by the files under `folder`. Symbolic links are not followed (a model opened
 * from elsewhere is not Burrow's to count), unreadable entries are skipped.
 */
export async function folderSize(folder: string): Promise<number> {
  let total = 0;
  let seen = 0;
  const pending = [folder];
  while (pending.length > 0 && seen < MAX_ENTRIES) {
    const current = pending.pop() as string;
    let names: string[];
    try {
      names = await readdir(current);
    } catch {
      continue;
    }
    for (const name of names) {
      if (++seen > MAX_ENTRIES) break;
      const path = join(current, name);
      try {
        const stat = await lstat(path);
        if (stat.isDirectory()) pending.push(path);
        else if (stat.isFile()) total += stat.size;
      } catch {
        // gone or unreadable: not counted
      }
    }
  }
  return total;
}
