/**
 * The curated model catalog: data in the repository (data/model-catalog.json), parsed and
 * checked once. Every entry pins a Hugging Face revision, so the same id always means the
 * same bytes.
 */
import { z } from 'zod';
import catalogJson from '../../../data/model-catalog.json' with { type: 'json' };
import { CatalogEntry } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import { formatZodError } from '../../shared/router';
import { isLoopback } from '../net/egress';

export const DEFAULT_MODEL_BASE = 'https://huggingface.co';
/** Replaces DEFAULT_MODEL_BASE for users behind a company mirror (and for tests). */
export const MIRROR_ENV = 'BURROW_MODEL_MIRROR';

const CatalogFile = z.strictObject({
  version: z.literal(1),
  entries: z.array(CatalogEntry).min(1).max(100),
});

/** Parses a catalog (default: the bundled one). Throws when it is malformed — a build error, not a user's. */
export function loadCatalog(raw: unknown = catalogJson): CatalogEntry[] {
  const parsed = CatalogFile.safeParse(raw);
  if (!parsed.success) throw new Error(`The model catalog is invalid: ${formatZodError(parsed.error)}`);
  const { entries } = parsed.data;
  const duplicate = (key: 'id' | 'file'): string | undefined =>
    entries.map((entry) => entry[key].toLowerCase()).find((value, index, all) => all.indexOf(value) !== index);
  const duplicateId = duplicate('id');
  if (duplicateId !== undefined) throw new Error(`The model catalog lists "${duplicateId}" twice.`);
  const duplicateFile = duplicate('file');
  if (duplicateFile !== undefined) throw new Error(`The model catalog has two entries saving to "${duplicateFile}".`);
  if (entries.filter((entry) => entry.recommended).length !== 1) throw new Error('The model catalog must recommend exactly one model.');
  return entries;
}

export function findCatalogEntry(catalog: readonly CatalogEntry[], id: string): CatalogEntry {
  const entry = catalog.find((candidate) => candidate.id === id);
  if (entry === undefined) throw new BurrowError('not_found', `There is no model "${id}" in Burrow's catalog.`);
  return entry;
}

/** The mirror the user asked for, raw: `BURROW_MODEL_MIRROR` wins over the configured one. */
export function configuredMirror(configured: string | null | undefined, env: NodeJS.ProcessEnv = process.env): string | undefined {
  return env[MIRROR_ENV]?.trim() || configured?.trim() || undefined;
}

/**
 * The base URL downloads come from: the mirror, else Hugging Face. A mirror must be an
 * https:// address (http:// only on this machine). Checked when a download starts, so a bad
 * setting costs that download a clear error, never the app its start.
 */
export function resolveModelBase(mirror: string | undefined): string {
  const chosen = mirror ?? DEFAULT_MODEL_BASE;
  let url: URL;
  try {
    url = new URL(chosen);
  } catch {
    throw new BurrowError('invalid_input', `The model mirror "${chosen.slice(0, 200)}" is not a web address. Use one starting with https://.`);
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && isLoopback(url.hostname))) {
    throw new BurrowError('invalid_input', `The model mirror must be an https:// address (got ${url.protocol}//${url.host}).`);
  }
  if (url.search !== '' || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw new BurrowError('invalid_input', 'The model mirror must be a plain address, without a query, fragment or password.');
  }
  return url.href.replace(/\/+$/, '');
}

/** The host a mirror lives on, for the egress allow-list; null when it is not a usable address. */
export function mirrorHost(mirror: string | undefined): string | null {
  if (mirror === undefined) return null;
  try {
    return new URL(resolveModelBase(mirror)).hostname;
  } catch {
    return null;
  }
}

/** `${base}/${repo}/resolve/${revision}/${file}`: Hugging Face's address for one file at one commit. */
export function catalogDownloadUrl(entry: CatalogEntry, base: string): string {
  const path = [...entry.repo.split('/'), 'resolve', entry.revision, entry.file].map(encodeURIComponent).join('/');
  return `${base.replace(/\/+$/, '')}/${path}`;
}
