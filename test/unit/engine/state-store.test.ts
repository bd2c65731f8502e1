/**
 * The state store's own rules, with a stand-in for llama.cpp's sequence (the real one is in
 * test/integration/session-state.test.ts): what is refused before llama.cpp could read it, and
 * the disk budget. The stand-in records whether loading was ever attempted.
 */
import { mkdtempSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LlamaContextSequence } from 'node-llama-cpp';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StateStore } from '../../../src/core/engine/state-store';

class FakeSequence {
  contextTokens: number[];
  loads = 0;
  constructor(tokens: number[], readonly bytes = 1000) {
    this.contextTokens = tokens;
  }
  saveStateToFile(path: string): Promise<{ fileSize: number }> {
    writeFileSync(path, Buffer.alloc(this.bytes, 7));
    return Promise.resolve({ fileSize: this.bytes });
  }
  loadStateFromFile(): Promise<void> {
    this.loads++;
    return Promise.resolve();
  }
  clearHistory(): Promise<void> {
    this.contextTokens = [];
    return Promise.resolve();
  }
}

const asSequence = (fake: FakeSequence): LlamaContextSequence => fake as unknown as LlamaContextSequence;
const TOKENS = Array.from({ length: 40 }, (_, i) => i + 3);

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'burrow-state-unit-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

async function saved(store: StateStore, key = 'conversation'): Promise<string> {
  await store.save(key, 'model-key', asSequence(new FakeSequence(TOKENS)));
  const state = readdirSync(dir).find((name) => name.endsWith('.state'));
  if (state === undefined) throw new Error('nothing saved');
  return join(dir, state);
}

describe('state store', () => {
  it('loads a state whose key, length and checksum match and that shares the conversation’s start', async () => {
    const store = new StateStore(dir);
    await saved(store);
    const target = new FakeSequence(TOKENS);
    expect(await store.restore('conversation', 'model-key', asSequence(target), [...TOKENS, 99, 100])).toEqual({ reusedTokens: 40 });
    expect(target.loads).toBe(1);
  });

  it('reuses the longest common prefix after an edit, and keeps the state for a conversation that went elsewhere', async () => {
    const store = new StateStore(dir);
    await saved(store);
    const edited = [...TOKENS.slice(0, 30), 500, 501];
    expect((await store.restore('conversation', 'model-key', asSequence(new FakeSequence(TOKENS)), edited)).reusedTokens).toBe(30);
    const elsewhere = new FakeSequence([]);
    expect((await store.restore('conversation', 'model-key', asSequence(elsewhere), [1, 2, 3])).reusedTokens).toBe(0);
    expect(elsewhere.loads).toBe(0);
    expect(readdirSync(dir).filter((name) => name.endsWith('.state'))).toHaveLength(1);
  });

  it('says whether a restore would load anything, from the metadata alone, as restore decides it', async () => {
    const store = new StateStore(dir);
    expect(store.has('conversation', 'model-key', TOKENS)).toBe(false);
    await saved(store);
    expect(store.has('conversation', 'model-key', [...TOKENS, 99])).toBe(true);
    expect(store.has('conversation', 'other-model', TOKENS)).toBe(false);
    expect(store.has('other-conversation', 'model-key', TOKENS)).toBe(false);
    // Too little in common to be worth a load (restore refuses it too), unless the conversation is that short.
    expect(store.has('conversation', 'model-key', [...TOKENS.slice(0, 15), 500])).toBe(false);
    expect(store.has('conversation', 'model-key', TOKENS.slice(0, 8))).toBe(true);
    expect(store.has('conversation', 'model-key', [1, 2, 3])).toBe(false);
    writeFileSync(join(dir, readdirSync(dir).find((name) => name.endsWith('.json')) ?? ''), '{ not json');
    expect(store.has('conversation', 'model-key', TOKENS)).toBe(false);
  });

  const hostile: Array<[string, (path: string) => void, string]> = [
    ['truncated', (path) => truncateSync(path, 500), 'wrong length'],
    ['zero-length', (path) => truncateSync(path, 0), 'wrong length'],
    ['bit-flipped', (path) => writeFileSync(path, Buffer.alloc(1000, 8)), 'damaged'],
    ['huge', (path) => writeFileSync(path, Buffer.alloc(4 * 1024 * 1024, 7)), 'wrong length'],
  ];
  for (const [name, spoil, reason] of hostile) {
    it(`refuses a ${name} state file before llama.cpp reads it, and deletes it`, async () => {
      const store = new StateStore(dir);
      spoil(await saved(store));
      const target = new FakeSequence([]);
      const result = await store.restore('conversation', 'model-key', asSequence(target), TOKENS);
      expect(result.reusedTokens).toBe(0);
      expect(result.reason).toContain(reason);
      expect(target.loads).toBe(0);
      expect(readdirSync(dir)).toEqual([]);
    });
  }

  it('refuses a state from another model or context setting, and damaged metadata', async () => {
    const store = new StateStore(dir);
    await saved(store);
    const target = new FakeSequence([]);
    expect((await store.restore('conversation', 'another-model-key', asSequence(target), TOKENS)).reason).toContain('another model');
    await saved(store);
    const meta = readdirSync(dir).find((name) => name.endsWith('.json')) ?? '';
    writeFileSync(join(dir, meta), '{"version": 1, "key": ');
    expect((await store.restore('conversation', 'model-key', asSequence(target), TOKENS)).reusedTokens).toBe(0);
    expect(target.loads).toBe(0);
  });

  it('keeps to its disk budget, least recently used out first', async () => {
    let now = 0;
    const store = new StateStore(dir, { budgetBytes: 2500, now: () => now });
    for (const key of ['a', 'b', 'c']) {
      now += 1000;
      await store.save(key, 'model-key', asSequence(new FakeSequence(TOKENS, 1000)));
    }
    // Three states of ~1 KB each do not fit 2.5 KB: the oldest, 'a', went.
    expect(store.usage()).toBeLessThanOrEqual(2500);
    const target = new FakeSequence([]);
    expect((await store.restore('a', 'model-key', asSequence(target), TOKENS)).reusedTokens).toBe(0);
    expect((await store.restore('c', 'model-key', asSequence(new FakeSequence(TOKENS)), TOKENS)).reusedTokens).toBe(40);
    store.clear();
    expect(store.usage()).toBe(0);
  });

  it('removes what a save cut short left (temporary files, a state without metadata), keeping whole states', async () => {
    const store = new StateStore(dir);
    const state = await saved(store);
    const other = join(dir, `${'b'.repeat(64)}`);
    for (const leftover of [`${other}.state.tmp`, `${other}.json.tmp`, `${other}.state`]) writeFileSync(leftover, 'cut short');
    writeFileSync(`${state}.tmp`, 'cut short');
    store.removeLeftovers();
    expect(readdirSync(dir).sort()).toEqual([state, state.replace(/\.state$/, '.json')].map((path) => path.slice(dir.length + 1)).sort());
    expect((await store.restore('conversation', 'model-key', asSequence(new FakeSequence(TOKENS)), TOKENS)).reusedTokens).toBe(40);
  });
});
