/**
 * Saved evaluation state of conversations (issue 16, "instant reopen"): a conversation whose
 * KV cache left memory (evicted, model unloaded, app quit) comes back from disk instead of
 * being evaluated again, which on a CPU costs seconds per thousand tokens.
 *
 * llama.cpp's state files are untrusted input like any model file: loading one made by
 * another model can crash the process. So every state file has a metadata file beside it,
 * and nothing reaches llama.cpp unless the metadata's key (model identity and every setting
 * the cache depends on) matches, and the state file's size and SHA-256 match what was
 * written. Writes are atomic (temporary file, fsync, rename); files are 0600.
 *
 *   <stateDir>/<sha256(session key)>.state   llama.cpp's file (its token list and KV cache)
 *   <stateDir>/<sha256(session key)>.json    { version, key, tokens, size, sha256, usedAt }
 */
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, createReadStream, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LlamaContextSequence } from 'node-llama-cpp';
import { fsyncDirectory, fsyncFile } from '../store/snapshot';

export const STATE_FORMAT_VERSION = 1;
/** Default disk budget for saved states. */
export const DEFAULT_STATE_BUDGET_BYTES = 2 * 1024 ** 3;
/** A saved state is loaded only when it shares at least this many tokens with the conversation. */
export const MIN_REUSED_TOKENS = 16;

interface StateMeta {
  version: number;
  key: string;
  tokens: number[];
  size: number;
  sha256: string;
  usedAt: number;
}

export interface RestoreResult {
  /** Tokens of the conversation that did not need evaluating. 0 when nothing was restored. */
  reusedTokens: number;
  /** Why nothing was restored, for the debug log. */
  reason?: string;
}

export class StateStore {
  readonly #dir: string;
  readonly #budgetBytes: number;
  readonly #now: () => number;

  constructor(dir: string, options: { budgetBytes?: number; now?: () => number } = {}) {
    this.#dir = dir;
    this.#budgetBytes = options.budgetBytes ?? DEFAULT_STATE_BUDGET_BYTES;
    this.#now = options.now ?? Date.now;
  }

  get dir(): string {
    return this.#dir;
  }

  /** Saves `sequence` for `sessionKey` under `key`, replacing any earlier state, then keeps to the budget. */
  async save(sessionKey: string, key: string, sequence: LlamaContextSequence): Promise<void> {
    const tokens = [...sequence.contextTokens];
    if (tokens.length === 0) return this.delete(sessionKey);
    mkdirSync(this.#dir, { recursive: true, mode: 0o700 });
    const base = this.#base(sessionKey);
    const stateTemp = `${base}.state.tmp`;
    const metaTemp = `${base}.json.tmp`;
    try {
      await sequence.saveStateToFile(stateTemp);
      chmodSync(stateTemp, 0o600);
      fsyncFile(stateTemp);
      const { size } = statSync(stateTemp);
      const meta: StateMeta = { version: STATE_FORMAT_VERSION, key, tokens, size, sha256: await sha256File(stateTemp), usedAt: this.#now() };
      writeFileSync(metaTemp, JSON.stringify(meta), { mode: 0o600 });
      fsyncFile(metaTemp);
      // The state first: a crash between the renames leaves a new state with old metadata,
      // whose checksum no longer matches, so it is refused and evaluated from scratch.
      renameSync(stateTemp, `${base}.state`);
      renameSync(metaTemp, `${base}.json`);
      fsyncDirectory(this.#dir);
    } finally {
      rmSync(stateTemp, { force: true });
      rmSync(metaTemp, { force: true });
    }
    this.#keepToBudget();
  }

  /**
   * Loads the saved state of `sessionKey` into `sequence` (empty, just taken from the context)
   * when it was made under `key` and shares at least MIN_REUSED_TOKENS with `wanted`, the
   * conversation's tokens as it now stands. Anything else leaves the sequence empty: never
   * throws for a missing, stale or damaged file (it is deleted).
   */
  async restore(sessionKey: string, key: string, sequence: LlamaContextSequence, wanted: readonly number[]): Promise<RestoreResult> {
    const base = this.#base(sessionKey);
    const meta = readMeta(`${base}.json`);
    if (meta === null) return { reusedTokens: 0, reason: 'no saved state' };
    const refuse = (reason: string): RestoreResult => {
      this.delete(sessionKey);
      return { reusedTokens: 0, reason };
    };
    if (meta.version !== STATE_FORMAT_VERSION) return refuse('saved by another version');
    if (meta.key !== key) return refuse('saved with another model or settings');
    const shared = commonPrefix(meta.tokens, wanted);
    // Not deleted: the conversation may go back to the branch the state holds.
    if (!worthRestoring(shared, wanted.length)) return { reusedTokens: 0, reason: `shares ${shared} tokens with the conversation` };
    let size: number;
    try {
      size = statSync(`${base}.state`).size;
    } catch {
      return refuse('state file missing');
    }
    if (size !== meta.size) return refuse('state file has the wrong length');
    if ((await sha256File(`${base}.state`)) !== meta.sha256) return refuse('state file is damaged');
    try {
      await sequence.loadStateFromFile(`${base}.state`, { acceptRisk: true });
    } catch (error) {
      await sequence.clearHistory();
      return refuse(`llama.cpp refused it: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!sameTokens(sequence.contextTokens, meta.tokens)) {
      await sequence.clearHistory();
      return refuse('the state holds other tokens than its metadata says');
    }
    this.#touch(base, meta);
    return { reusedTokens: shared };
  }

  /**
   * Whether `restore` would find a state to load for `sessionKey` (metadata only: the state
   * file's checksum is checked when it is restored). Never throws.
   */
  has(sessionKey: string, key: string, wanted: readonly number[]): boolean {
    const meta = readMeta(`${this.#base(sessionKey)}.json`);
    if (meta === null || meta.version !== STATE_FORMAT_VERSION || meta.key !== key) return false;
    return worthRestoring(commonPrefix(meta.tokens, wanted), wanted.length);
  }

  delete(sessionKey: string): void {
    const base = this.#base(sessionKey);
    for (const suffix of ['.json', '.state', '.json.tmp', '.state.tmp']) rmSync(`${base}${suffix}`, { force: true });
  }

  /** Every saved state. */
  clear(): void {
    for (const name of this.#names()) rmSync(join(this.#dir, name), { force: true });
  }

  /**
   * Files a save cut short left behind (a kill mid-save): temporary files, and a state whose
   * metadata never got renamed into place. Neither is ever loaded; this takes back their space.
   * Only for the one process that saves (the engine, when it loads a model): another one's
   * save in progress would lose its temporary files.
   */
  removeLeftovers(): void {
    const names = new Set(this.#names());
    for (const name of names) {
      const orphan = name.endsWith('.state') && !names.has(`${name.slice(0, -'.state'.length)}.json`);
      if (name.endsWith('.tmp') || orphan) rmSync(join(this.#dir, name), { force: true });
    }
  }

  /** Bytes the saved states take. */
  usage(): number {
    return this.#entries().reduce((sum, entry) => sum + entry.bytes, 0);
  }

  /** Least recently used states go first once the total passes the budget. */
  #keepToBudget(): void {
    const entries = this.#entries().sort((a, b) => a.usedAt - b.usedAt);
    let total = entries.reduce((sum, entry) => sum + entry.bytes, 0);
    for (const entry of entries) {
      if (total <= this.#budgetBytes) break;
      for (const suffix of ['.json', '.state']) rmSync(`${entry.base}${suffix}`, { force: true });
      total -= entry.bytes;
    }
  }

  #entries(): Array<{ base: string; bytes: number; usedAt: number }> {
    return this.#names()
      .filter((name) => name.endsWith('.json'))
      .map((name) => {
        const base = join(this.#dir, name.slice(0, -'.json'.length));
        const meta = readMeta(`${base}.json`);
        return { base, bytes: sizeOf(`${base}.state`) + sizeOf(`${base}.json`), usedAt: meta?.usedAt ?? 0 };
      });
  }

  #names(): string[] {
    try {
      return readdirSync(this.#dir).filter((name) => /^[0-9a-f]{64}\.(state|json)(\.tmp)?$/.test(name));
    } catch {
      return [];
    }
  }

  #touch(base: string, meta: StateMeta): void {
    try {
      writeFileSync(`${base}.json`, JSON.stringify({ ...meta, usedAt: this.#now() }), { mode: 0o600 });
    } catch {
      // Only the eviction order suffers.
    }
  }

  #base(sessionKey: string): string {
    return join(this.#dir, createHash('sha256').update(sessionKey).digest('hex'));
  }
}

/** A stable key for everything a KV cache depends on. */
export function stateKey(parts: Record<string, unknown>): string {
  const sorted = Object.fromEntries(Object.entries(parts).sort(([a], [b]) => a.localeCompare(b)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}

/**
 * A model file's identity without reading all of it: its size and the SHA-256 of its first and
 * last MiB (the header with every tensor's name, shape and offset, and the end of the weights).
 */
export function modelIdentity(path: string): string {
  const chunk = 1024 * 1024;
  const { size } = statSync(path);
  const fd = openSync(path, 'r');
  try {
    const hash = createHash('sha256').update(String(size));
    const buffer = Buffer.alloc(Math.min(chunk, size));
    for (const position of [0, Math.max(0, size - chunk)]) {
      const read = readSyncFully(fd, buffer, position);
      hash.update(buffer.subarray(0, read));
    }
    return `${size}:${hash.digest('hex')}`;
  } finally {
    closeSync(fd);
  }
}

function readSyncFully(fd: number, buffer: Buffer, position: number): number {
  let done = 0;
  while (done < buffer.length) {
    const read = readSync(fd, buffer, done, buffer.length - done, position + done);
    if (read === 0) break;
    done += read;
  }
  return done;
}

/** A state sharing `shared` tokens with a conversation of `wanted` tokens saves enough to load. */
function worthRestoring(shared: number, wanted: number): boolean {
  return shared > 0 && shared >= Math.min(MIN_REUSED_TOKENS, wanted);
}

function readMeta(path: string): StateMeta | null {
  try {
    const raw: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (typeof raw !== 'object' || raw === null) return null;
    const meta = raw as Partial<StateMeta>;
    if (typeof meta.version !== 'number' || typeof meta.key !== 'string' || typeof meta.size !== 'number' || typeof meta.sha256 !== 'string') return null;
    if (!Array.isArray(meta.tokens) || !meta.tokens.every((token) => Number.isInteger(token) && token >= 0)) return null;
    return { version: meta.version, key: meta.key, tokens: meta.tokens, size: meta.size, sha256: meta.sha256, usedAt: typeof meta.usedAt === 'number' ? meta.usedAt : 0 };
  } catch {
    return null;
  }
}

function commonPrefix(a: readonly number[], b: readonly number[]): number {
  const length = Math.min(a.length, b.length);
  let i = 0;
  while (i < length && a[i] === b[i]) i++;
  return i;
}

function sameTokens(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && commonPrefix(a, b) === a.length;
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}



function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (chunk) => hash.update(chunk))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}
