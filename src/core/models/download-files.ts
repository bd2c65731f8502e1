/**
 * What a download keeps on disk while it is not finished: `<modelsDir>/.partial/<file>.part`
 * (the bytes so far) and `<file>.part.json` beside it (where they come from, what they must
 * hash to, how many of them are trustworthy). The sidecar is what lets a download continue
 * after Burrow restarts.
 */
import { createHash, type Hash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { CatalogId, Id, Sha256Hex, Sha256Source } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';

export const PARTIAL_DIR = '.partial';
const PART_SUFFIX = '.part';
const SIDECAR_SUFFIX = '.part.json';

/** A model file name Burrow will write: no folders, no leading dot, ends in .gguf. */
export const SafeModelFileName = z
  .string()
  .max(200)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\.gguf$/, 'must be a .gguf file name');

export const Sidecar = z.strictObject({
  version: z.literal(1),
  downloadId: Id,
  catalogId: CatalogId.nullable(),
  name: z.string().max(200),
  file: SafeModelFileName,
  /** The address asked for (before redirects: signed CDN addresses expire and are never stored). */
  url: z.string().max(4096),
  reason: z.string().max(100),
  userTypedUrl: z.boolean(),
  expectedSize: z.number().int().positive().nullable(),
  sha256: Sha256Hex.nullable(),
  sha256Source: Sha256Source,
  /** Bytes flushed to disk before this sidecar was written: the part file is trusted up to here. */
  bytesDone: z.number().int().nonnegative(),
  updatedAt: z.number().int().nonnegative(),
});
export type Sidecar = z.infer<typeof Sidecar>;

export interface PartialPaths {
  part: string;
  sidecar: string;
}

export function partialPaths(partialDir: string, file: string): PartialPaths {
  return { part: join(partialDir, `${file}${PART_SUFFIX}`), sidecar: join(partialDir, `${file}${SIDECAR_SUFFIX}`) };
}

/** Writes the sidecar atomically (temp file + rename), so a crash never leaves half of one. */
export async function writeSidecar(path: string, sidecar: Sidecar): Promise<void> {
  const temp = `${path}.tmp`;
  await writeFile(temp, JSON.stringify(sidecar), { mode: 0o600 });
  await rename(temp, path);
}

/**
 * The sidecars in the partial folder that parse. A damaged sidecar cannot be trusted, so it
 * is deleted with its bytes; so are part files that have lost their sidecar.
 */
export async function readSidecars(partialDir: string): Promise<Sidecar[]> {
  let names: string[];
  try {
    names = await readdir(partialDir);
  } catch {
    return [];
  }
  const sidecars: Sidecar[] = [];
  const kept = new Set<string>();
  for (const name of names.filter((entry) => entry.endsWith(SIDECAR_SUFFIX))) {
    const path = join(partialDir, name);
    let parsed: Sidecar | null = null;
    try {
      const result = Sidecar.safeParse(JSON.parse(await readFile(path, 'utf8')));
      if (result.success && `${result.data.file}${SIDECAR_SUFFIX}` === name) parsed = result.data;
    } catch {
      parsed = null;
    }
    if (parsed === null) {
      await removePartial({ part: path.slice(0, -'.json'.length), sidecar: path });
      continue;
    }
    kept.add(`${parsed.file}${PART_SUFFIX}`);
    sidecars.push(parsed);
  }
  for (const name of names) {
    const orphan = (name.endsWith(PART_SUFFIX) && !kept.has(name)) || name.endsWith('.tmp');
    if (orphan) await rm(join(partialDir, name), { force: true });
  }
  return sidecars;
}

export async function removePartial(paths: PartialPaths): Promise<void> {
  await Promise.all([rm(paths.part, { force: true }), rm(paths.sidecar, { force: true }), rm(`${paths.sidecar}.tmp`, { force: true })]);
}

/** SHA-256 of the first `length` bytes of a file: how a resumed download's hash catches up. */
export async function hashPrefix(path: string, length: number, signal?: AbortSignal): Promise<Hash> {
  const hash = createHash('sha256');
  if (length === 0) return hash;
  const stream = createReadStream(path, { start: 0, end: length - 1, highWaterMark: 1024 * 1024, ...(signal ? { signal } : {}) });
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash;
}

export async function readMagic(path: string): Promise<string> {
  const handle = await open(path, 'r');
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    return head.subarray(0, bytesRead).toString('latin1');
  } finally {
    await handle.close();
  }
}

/** The model file name a direct URL would be saved under, or a plain refusal. */
export function fileNameFromUrl(url: URL): string {
  let name: string;
  try {
    name = decodeURIComponent(basename(url.pathname));
  } catch {
    name = '';
  }
  const parsed = SafeModelFileName.safeParse(name);
  if (!parsed.success) {
    throw new BurrowError(
      'invalid_input',
      'The address must end in a model file name such as model.Q4_K_M.gguf (letters, digits, ".", "_" and "-" only).',
    );
  }
  return parsed.data;
}
