/**
 * What the kill test checks after every kill (see kill-test.ts): the file as the kill left it,
 * then the app's own start-up on it; and the saved conversation states (verifyStates).
 */
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import type { LlamaContextSequence } from 'node-llama-cpp';
import { STATE_FORMAT_VERSION, StateStore } from '../../src/core/engine/state-store';
import { stateDir } from '../../src/core/store/paths';
import { databasePath } from '../../src/core/store/database';
import { migrations } from '../../src/core/store/migrations';
import { Storage } from '../../src/core/store/storage';
import { IMPORT_CONVERSATIONS } from './kill-child';

export interface Saved {
  conversation: string;
  length: number;
  status: string;
}

/** One JSON object per line the child printed. */
export type ChildLines = ReadonlyArray<Record<string, unknown>>;

export interface Verified {
  checked: number;
  deletesInterrupted: number;
  importsInterrupted: number;
  streamingMarkedInterrupted: number;
  /** The schema version the kill left (below the latest: killed before the upgrade finished). */
  version: number;
  /** Search indexes out of step with their tables as the kill left them (the app rebuilds them at start). */
  searchIndexMismatches: string[];
}

/** Checks every search index against its table; the failures, as "name: message". */
function searchIndexProblems(db: Sqlite.Database): string[] {
  const problems: string[] = [];
  for (const name of ['messages_fts', 'conversations_fts', 'document_chunks_fts']) {
    if (db.prepare("SELECT count(*) FROM sqlite_schema WHERE name = ?").pluck().get(name) === 0) continue;
    try {
      db.prepare(`INSERT INTO ${name} (${name}, rank) VALUES ('integrity-check', 1)`).run();
    } catch (error) {
      problems.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }
  return problems;
}

/**
 * `strictSearchIndexes`: a search index out of step with its table in the file as the kill left
 * it fails the round (the full run). Otherwise it is counted and reported, and the round fails
 * only if the app's start-up does not repair it (see kill-test.ts).
 */
export function verify(dataDir: string, lines: ChildLines, expected: { saved: Map<string, Saved> } | { legacyCount: number }, strictSearchIndexes = true): Verified {
  const file = databasePath(dataDir);
  const fail = (message: string): never => {
    throw new Error(`${dataDir}: ${message}`);
  };
  const result: Verified = { checked: 0, deletesInterrupted: 0, importsInterrupted: 0, streamingMarkedInterrupted: 0, version: 0, searchIndexMismatches: [] };

  // 1. The raw file, exactly as the kill left it (SQLite replays the write-ahead log on open).
  const db = new Sqlite(file, { fileMustExist: true });
  const streaming: string[] = [];
  try {
    const check = db.pragma('quick_check') as Array<{ quick_check: string }>;
    if (check.length !== 1 || check[0]?.quick_check !== 'ok') fail(`quick_check: ${JSON.stringify(check)}`);
    const keys = db.pragma('foreign_key_check') as unknown[];
    if (keys.length > 0) fail(`foreign_key_check: ${JSON.stringify(keys.slice(0, 5))}`);
    const version = Number(db.pragma('user_version', { simple: true }));
    result.version = version;
    if ('legacyCount' in expected) {
      // Each migration commits on its own: any version from 1 to the latest is a whole schema.
      if (version < 1 || version > migrations.length) fail(`unexpected user_version ${version}`);
      const legacy = Number(db.prepare("SELECT count(*) FROM messages WHERE id LIKE 'legacy-m%'").pluck().get());
      if (legacy !== expected.legacyCount) fail(`migration lost messages: ${legacy} of ${expected.legacyCount}`);
    }
    if (version >= 2) {
      result.searchIndexMismatches = searchIndexProblems(db);
      if (strictSearchIndexes && result.searchIndexMismatches.length > 0) fail(`search index out of step: ${result.searchIndexMismatches.join('; ')}`);
      const orphanQuestion = db
        .prepare("SELECT q.id FROM messages q WHERE q.role = 'user' AND q.id NOT LIKE 'legacy-%' AND NOT EXISTS (SELECT 1 FROM messages a WHERE a.parent_id = q.id) LIMIT 1")
        .pluck()
        .get();
      if (orphanQuestion !== undefined) fail(`half-written turn: question ${String(orphanQuestion)} has no answer`);
    }

    if ('saved' in expected) {
      const deleting = new Map<string, number>();
      const deletedTitles: string[] = [];
      const deleted = new Set<string>();
      const importing = new Set<string>();
      const imported = new Set<string>();
      for (const line of lines) {
        if (typeof line.saved === 'string') {
          const previous = expected.saved.get(line.saved);
          const length = Number(line.length);
          expected.saved.set(line.saved, { conversation: String(line.conversation), length: Math.max(length, previous?.length ?? 0), status: String(line.status) });
        }
        if (typeof line.deleting === 'string') {
          deleting.set(line.deleting, Number(line.messages));
          deletedTitles.push(String(line.title));
        }
        if (typeof line.deleted === 'string') deleted.add(line.deleted);
        if (typeof line.importing === 'string') importing.add(line.importing);
        if (typeof line.imported === 'string') imported.add(line.imported);
      }
      const messageCount = db.prepare('SELECT count(*) FROM messages WHERE conversation_id = ?').pluck();
      const conversationExists = db.prepare('SELECT count(*) FROM conversations WHERE id = ?').pluck();
      for (const [id, count] of deleting) {
        const exists = Number(conversationExists.get(id)) === 1;
        const left = Number(messageCount.get(id));
        if (deleted.has(id) && (exists || left > 0)) fail(`conversation ${id} was reported deleted but is still there`);
        if (!deleted.has(id)) {
          result.deletesInterrupted++;
          if (exists ? left !== count : left !== 0) fail(`half-deleted conversation ${id}: ${exists ? 'exists' : 'gone'} with ${left} of ${count} messages`);
        }
        if (!exists) for (const [messageId, entry] of expected.saved) if (entry.conversation === id) expected.saved.delete(messageId);
      }
      const batchCount = db.prepare("SELECT count(*) FROM conversations WHERE title LIKE 'import-' || ? || '-%'").pluck();
      const titleExists = db.prepare('SELECT count(*) FROM conversations WHERE title = ?').pluck();
      for (const batch of importing) {
        // Imported conversations the other lane has deleted since count as there.
        const deletedSince = deletedTitles.filter((title) => title.startsWith(`import-${batch}-`) && Number(titleExists.get(title)) === 0).length;
        const count = Number(batchCount.get(batch)) + deletedSince;
        if (imported.has(batch) ? count !== IMPORT_CONVERSATIONS : count !== 0 && count !== IMPORT_CONVERSATIONS) fail(`import ${batch} half-applied: ${count} of ${IMPORT_CONVERSATIONS}`);
        if (!imported.has(batch)) result.importsInterrupted++;
      }
      const message = db.prepare<[string], { content: string; status: string }>('SELECT content, status FROM messages WHERE id = ?');
      for (const [id, entry] of expected.saved) {
        const row = message.get(id);
        if (row === undefined) fail(`message ${id} was seen saved (${entry.length} characters) but is missing`);
        else {
          if (row.content.length < entry.length) fail(`message ${id} lost text: ${row.content.length} < ${entry.length} characters seen saved`);
          if (entry.status !== 'streaming' && row.status !== entry.status) fail(`message ${id} was ${entry.status}, now ${row.status}`);
          if (row.status === 'streaming') streaming.push(id);
          result.checked++;
        }
      }
    }
  } finally {
    db.close();
  }

  // 2. What the app does at start: open (quarantining only a damaged file; this one must not be),
  // finish any migration, and mark answers cut off mid-stream as interrupted.
  const storage = Storage.open(dataDir);
  try {
    if (storage.status().quarantined !== null) fail(`opening quarantined it: ${JSON.stringify(storage.status().quarantined)}`);
    const afterStart = searchIndexProblems(storage.db);
    if (afterStart.length > 0) fail(`search index still out of step after start-up: ${afterStart.join('; ')}`);
    const repaired = new Set(storage.repairedIndexes);
    for (const problem of result.searchIndexMismatches) {
      if (!repaired.has(problem.split(':')[0]!)) fail(`start-up did not report rebuilding ${problem}`);
    }
    storage.conversations.markInterrupted();
    for (const id of streaming) {
      if (storage.conversations.getMessage(id).status !== 'interrupted') fail(`message ${id} was streaming and is not marked interrupted`);
      result.streamingMarkedInterrupted++;
    }
    const left = Number(storage.db.prepare("SELECT count(*) FROM messages WHERE status = 'streaming'").pluck().get());
    if (left > 0) fail(`${left} messages still streaming after start-up`);
  } finally {
    storage.close();
  }
  return result;
}

export interface StatesVerified {
  /** Saved states whose metadata, length and checksum all match: the store loads them. */
  valid: number;
  /** Temporary files of a save the kill cut short: never read, removed when the engine next loads a model. */
  temporary: number;
  /** Other files a kill left (a state whose metadata never landed, or metadata that no longer matches): refused. */
  refused: number;
}

const STATE_FILE = /^([0-9a-f]{64})\.(state|json)(\.tmp)?$/;

/**
 * The saved conversation states as the kill left them (state-store.ts): every file is a state
 * that checks out on its own (metadata, length, SHA-256), or something the store never loads.
 * Checked independently of the store, then against the store itself on a copy of the folder:
 * its restore must load exactly the states that check out (a stand-in sequence records every
 * load), and removeLeftovers must leave nothing but whole states.
 */
export async function verifyStates(dataDir: string): Promise<StatesVerified> {
  const dir = stateDir(dataDir);
  const fail = (message: string): never => {
    throw new Error(`${dir}: ${message}`);
  };
  const result: StatesVerified = { valid: 0, temporary: 0, refused: 0 };
  const names = existsSync(dir) ? readdirSync(dir) : [];
  const bases = new Set<string>();
  for (const name of names) {
    const match = STATE_FILE.exec(name);
    if (match === null) fail(`unexpected file ${name}`);
    else if (match[3] !== undefined) result.temporary++;
    else bases.add(match[1] ?? '');
  }
  const whole = new Map<string, { key: string; tokens: number[] }>();
  for (const base of bases) {
    const meta = wholeState(join(dir, base));
    if (meta === null) result.refused++;
    else {
      whole.set(base, meta);
      result.valid++;
    }
  }

  // The store on a copy (a restore deletes what it refuses). Conversations are found by their
  // ids' hashes; a state whose conversation is gone can never be asked for.
  const copy = mkdtempSync(join(tmpdir(), 'burrow-kill-states-'));
  try {
    for (const name of names) copyFileSync(join(dir, name), join(copy, name));
    const db = new Sqlite(databasePath(dataDir), { readonly: true, fileMustExist: true });
    const ids = db.prepare('SELECT id FROM conversations').pluck().all() as string[];
    db.close();
    const store = new StateStore(copy);
    for (const id of ids) {
      const base = createHash('sha256').update(id).digest('hex');
      if (!bases.has(base)) continue;
      const expected = whole.get(base);
      const metaTokens = readTokens(join(dir, `${base}.json`));
      const probe = new ProbeSequence(expected?.tokens ?? metaTokens);
      const restored = await store.restore(id, expected?.key ?? readKey(join(dir, `${base}.json`)), probe as unknown as LlamaContextSequence, metaTokens.length > 0 ? metaTokens : [1]);
      if (expected === undefined && probe.loads > 0) fail(`the store loaded ${base}.state, which does not check out`);
      if (expected !== undefined && (probe.loads !== 1 || restored.reusedTokens !== expected.tokens.length)) fail(`the store did not restore ${base}.state, which checks out: ${restored.reason ?? `${restored.reusedTokens} tokens`}`);
    }
    store.removeLeftovers();
    const left = readdirSync(copy).filter((name) => name.endsWith('.tmp') || (name.endsWith('.state') && !existsSync(join(copy, `${name.slice(0, -'.state'.length)}.json`))));
    if (left.length > 0) fail(`removeLeftovers left ${left.join(', ')}`);
  } finally {
    rmSync(copy, { recursive: true, force: true });
  }
  return result;
}

/** The metadata of `base`, if it and its state file check out: version, key, tokens, length, SHA-256. */
function wholeState(base: string): { key: string; tokens: number[] } | null {
  try {
    const meta = JSON.parse(readFileSync(`${base}.json`, 'utf8')) as { version?: unknown; key?: unknown; tokens?: unknown; size?: unknown; sha256?: unknown };
    const state = readFileSync(`${base}.state`);
    const tokens = Array.isArray(meta.tokens) && meta.tokens.every((token) => Number.isInteger(token)) ? (meta.tokens as number[]) : null;
    if (meta.version !== STATE_FORMAT_VERSION || typeof meta.key !== 'string' || tokens === null || tokens.length === 0) return null;
    if (meta.size !== state.length || meta.sha256 !== createHash('sha256').update(state).digest('hex')) return null;
    return { key: meta.key, tokens };
  } catch {
    return null;
  }
}

function readTokens(file: string): number[] {
  try {
    const tokens = (JSON.parse(readFileSync(file, 'utf8')) as { tokens?: unknown }).tokens;
    return Array.isArray(tokens) && tokens.every((token) => Number.isInteger(token) && Number(token) >= 0) ? (tokens as number[]) : [];
  } catch {
    return [];
  }
}

function readKey(file: string): string {
  try {
    const key = (JSON.parse(readFileSync(file, 'utf8')) as { key?: unknown }).key;
    return typeof key === 'string' ? key : '';
  } catch {
    return '';
  }
}

/** Stands in for llama.cpp's sequence: records loads, and holds what a load would put there. */
class ProbeSequence {
  contextTokens: number[] = [];
  loads = 0;
  readonly #tokens: number[];
  constructor(tokens: number[]) {
    this.#tokens = tokens;
  }
  loadStateFromFile(): Promise<void> {
    this.loads++;
    this.contextTokens = [...this.#tokens];
    return Promise.resolve();
  }
  clearHistory(): Promise<void> {
    this.contextTokens = [];
    return Promise.resolve();
  }
}
