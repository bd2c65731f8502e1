/**
 * Instant reopen (issue 16): a conversation whose KV cache left memory comes back from its
 * saved state on disk, through the real engine process on the suite's tiny model: only the new
 * tokens are evaluated, and the answer is exactly what a conversation that never left memory
 * gives. Damaged, stale or foreign state files are evaluated from scratch, never loaded.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { EngineHost } from '../../src/core/engine/engine-host';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import type { ChatTurn, EngineSettings, GenerateResult } from '../../src/core/engine/types';
import { tinyModelPath } from '../support/tiny-model';

const modelPath = tinyModelPath();
const spawn = spawnNodeEngine({ fromSource: true });
const root = mkdtempSync(join(tmpdir(), 'burrow-state-'));
const hosts: EngineHost[] = [];
let dirCount = 0;

afterEach(async () => {
  for (const host of hosts.splice(0)) await host.dispose();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function start(settings: EngineSettings, onLog?: (message: string) => void): Promise<EngineHost> {
  const host = new EngineHost({ spawn, settings: { maxTokens: 24, temperature: 0, gpu: false, ...settings }, ...(onLog === undefined ? {} : { onLog: (_level, message) => onLog(message) }) });
  hosts.push(host);
  await host.load(modelPath);
  return host;
}

function ask(host: EngineHost, sessionKey: string, history: ChatTurn[], prompt: string): Promise<GenerateResult> {
  return host.generate({ sessionKey, history, prompt, signal: new AbortController().signal, onText: () => undefined });
}

const FIRST = 'Tell me everything you know about rabbits, burrows, warrens and the fields around them.';
const FOLLOW_UP = 'And what about the foxes?';

/** Turn 1 of conversation `a`, then another conversation, which pushes `a` out of memory (one session kept). */
async function evictA(host: EngineHost): Promise<ChatTurn[]> {
  const first = await ask(host, 'a', [], FIRST);
  await ask(host, 'b', [], 'Something else entirely.');
  return [
    { role: 'user', text: FIRST },
    { role: 'assistant', text: first.text },
  ];
}

function stateFiles(dir: string): string[] {
  try {
    return readdirSync(dir).filter((name) => name.endsWith('.state'));
  } catch {
    return [];
  }
}

const newStateDir = (): string => join(root, `state-${dirCount++}`);

/** Conversation `a` saved to disk by one engine, then a second engine started on the same folder. */
async function restartedAfterA(onLog?: (message: string) => void): Promise<{ second: EngineHost; history: ChatTurn[] }> {
  const stateDir = newStateDir();
  const first = await start({ maxSessions: 1, stateDir });
  const history = await evictA(first);
  await first.dispose();
  return { second: await start({ maxSessions: 1, stateDir }, onLog), history };
}

/** `turn` (of `a`, after `history`) reused what was kept or saved: the same answer as from scratch, for far fewer tokens. */
async function expectReused(host: EngineHost, turn: GenerateResult, history: ChatTurn[]): Promise<void> {
  const fromScratch = await ask(host, 'c', history, FOLLOW_UP);
  expect(turn.stats.evaluatedTokens).toBeLessThan(fromScratch.stats.evaluatedTokens / 2);
  expect(turn.text).toBe(fromScratch.text);
}

describe('saved conversation state', () => {
  it('brings an evicted conversation back from disk: only the new tokens are evaluated, and the answer is the same', async () => {
    const reference = await start({ maxSessions: 4 });
    const history = await evictA(reference);
    const neverEvicted = await ask(reference, 'a', history, FOLLOW_UP);

    const stateDir = newStateDir();
    const host = await start({ maxSessions: 1, stateDir });
    await evictA(host);
    expect(stateFiles(stateDir).length).toBeGreaterThanOrEqual(1);
    const restored = await ask(host, 'a', history, FOLLOW_UP);
    const fromScratch = await ask(host, 'c', history, FOLLOW_UP);

    expect(restored.text).toBe(neverEvicted.text);
    expect(fromScratch.text).toBe(neverEvicted.text);
    expect(restored.stats.evaluatedTokens).toBeLessThan(fromScratch.stats.evaluatedTokens / 2);
    expect(restored.stats.evaluatedTokens).toBeLessThanOrEqual(neverEvicted.stats.evaluatedTokens + 2);
    if (process.platform !== 'win32') {
      for (const name of readdirSync(stateDir)) expect(statSync(join(stateDir, name)).mode & 0o777, name).toBe(0o600);
    }
  });

  it('restores after the engine restarts', async () => {
    const { second, history } = await restartedAfterA();
    await expectReused(second, await ask(second, 'a', history, FOLLOW_UP), history);
  });

  it('prepares an opened conversation: its state comes back before the turn, which then finds it in memory', async () => {
    const log: string[] = [];
    const { second, history } = await restartedAfterA((message) => log.push(message));

    const prepared = await second.prepare({ sessionKey: 'a', history });
    expect(prepared.outcome).toBe('restored');
    expect(prepared.tokens).toBeGreaterThan(20);
    expect(log.filter((line) => line.startsWith('restored '))).toHaveLength(1);
    // Opened again: already in memory, nothing read a second time.
    expect(await second.prepare({ sessionKey: 'a', history })).toEqual({ outcome: 'kept', tokens: prepared.tokens });

    const mark = log.length;
    const turn = await ask(second, 'a', history, FOLLOW_UP);
    expect(log.slice(mark).some((line) => line.startsWith('kept in memory'))).toBe(true);
    expect(log.slice(mark).some((line) => line.startsWith('restored '))).toBe(false);
    await expectReused(second, turn, history);
  });

  it('leaves alone a conversation with nothing saved, one for other adapters, and an engine with no model', async () => {
    const stateDir = newStateDir();
    const host = await start({ maxSessions: 1, stateDir });
    const history = await evictA(host);
    // 'b' is the one session in memory; preparing what cannot be restored must not push it out.
    const unsaved = [{ role: 'user' as const, text: 'Never asked here.' }, { role: 'assistant' as const, text: 'So nothing was saved.' }];
    expect(await host.prepare({ sessionKey: 'never-saved', history: unsaved })).toEqual({ outcome: 'skipped', tokens: 0 });
    expect(await host.prepare({ sessionKey: 'a', history, adapters: [{ path: join(stateDir, 'missing.gguf'), scale: 1, name: 'missing' }] })).toEqual({ outcome: 'skipped', tokens: 0 });
    // A history the saved state does not start like (another branch): not worth restoring.
    expect(await host.prepare({ sessionKey: 'a', history: [{ role: 'user', text: 'Quite another question' }] })).toEqual({ outcome: 'skipped', tokens: 0 });
    expect((await host.prepare({ sessionKey: 'b', history: [{ role: 'user', text: 'Something else entirely.' }] })).outcome).toBe('kept');
    await host.unload();
    expect(await host.prepare({ sessionKey: 'a', history })).toEqual({ outcome: 'skipped', tokens: 0 });
    expect(host.status().model).toBeNull();
  });

  it('evaluates from scratch, without loading it, a damaged state file or one made with other settings', async () => {
    const stateDir = newStateDir();
    const host = await start({ maxSessions: 1, stateDir });
    const history = await evictA(host);
    const [file] = stateFiles(stateDir);
    expect(file).toBeDefined();
    const path = join(stateDir, file ?? '');
    const bytes = readFileSync(path);
    bytes[Math.floor(bytes.length / 2)] = (bytes[Math.floor(bytes.length / 2)] ?? 0) ^ 0xff;
    writeFileSync(path, bytes);
    const damaged = await ask(host, 'a', history, FOLLOW_UP);
    const fromScratch = await ask(host, 'c', history, FOLLOW_UP);
    expect(damaged.stats.evaluatedTokens).toBe(fromScratch.stats.evaluatedTokens);
    expect(damaged.text).toBe(fromScratch.text);
    await host.dispose();

    // Saved with a 2 048-token context; loaded with 1 024: another key, so not loaded.
    const saver = await start({ maxSessions: 1, stateDir, contextSize: 2048 });
    await evictA(saver);
    await saver.dispose();
    const other = await start({ maxSessions: 1, stateDir, contextSize: 1024 });
    const stale = await ask(other, 'a', history, FOLLOW_UP);
    const scratch = await ask(other, 'c', history, FOLLOW_UP);
    expect(stale.stats.evaluatedTokens).toBe(scratch.stats.evaluatedTokens);
  });

  it('forgets a deleted conversation: its state is gone and no later save brings it back', async () => {
    const stateDir = newStateDir();
    const host = await start({ maxSessions: 2, stateDir });
    await ask(host, 'a', [], FIRST);
    await host.unload(); // saves
    expect(stateFiles(stateDir)).toHaveLength(1);
    await host.load(modelPath);
    await ask(host, 'a', [{ role: 'user', text: FIRST }, { role: 'assistant', text: 'x' }], FOLLOW_UP);
    await host.forget('a');
    expect(stateFiles(stateDir)).toHaveLength(0);
    await host.unload();
    expect(stateFiles(stateDir)).toHaveLength(0);
  });

  it("never saves a working session such as a document's summary", async () => {
    const stateDir = newStateDir();
    const host = await start({ maxSessions: 2, stateDir });
    await ask(host, 'document:d1', [], FIRST);
    await host.unload();
    expect(stateFiles(stateDir)).toHaveLength(0);
  });
});
