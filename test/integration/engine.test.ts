/**
 * The real engine process (src/core/engine/worker.ts through tsx) running real node-llama-cpp
 * on the suite's own tiny GGUF. Asserts what a user would notice: answers stream, stop fast
 * and keep their text, follow-ups are cheap, bad files get clear errors, and a crashed
 * engine comes back on the next message. One engine process serves the whole file (each
 * start costs seconds: node-llama-cpp tests its native binary in a subprocess first).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineStatus } from '../../src/shared/contract';
import { EngineHost } from '../../src/core/engine/engine-host';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import { chooseThreads, TINY_MODEL_BYTES, usableCores } from '../../src/core/engine/threads';
import type { ChatTurn, GenerateResult } from '../../src/core/engine/types';
import { gguf, writeGgufFile } from '../support/gguf-writer';
import { tinyModelPath, tinyModelSpec } from '../support/tiny-model';

const MAX_TOKENS = 400;
const modelPath = tinyModelPath();
const spawn = spawnNodeEngine({ fromSource: true });
const dir = mkdtempSync(join(tmpdir(), 'burrow-engine-'));

let host: EngineHost;
const statuses: EngineStatus[] = [];
const states = (): string[] => statuses.map((status) => status.state);

function ask(sessionKey: string, history: ChatTurn[], prompt: string, options: { signal?: AbortSignal; onText?: (text: string) => void } = {}): Promise<GenerateResult> {
  return host.generate({
    sessionKey,
    history,
    prompt,
    signal: options.signal ?? new AbortController().signal,
    onText: options.onText ?? (() => undefined),
  });
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

beforeAll(() => {
  host = new EngineHost({ spawn, settings: { maxTokens: MAX_TOKENS, maxSessions: 2, gpu: false }, onStatus: (status) => statuses.push(status) });
});

afterAll(async () => {
  await host.dispose();
  rmSync(dir, { recursive: true, force: true });
});

describe('engine process with the tiny model', () => {
  it('refuses to answer before a model was ever loaded, without starting a process', async () => {
    await expect(ask('none', [], 'hello')).rejects.toMatchObject({ code: 'no_model' });
    expect(host.pid).toBeUndefined();
    expect(host.status()).toEqual({ state: 'idle', model: null, error: null });
  });

  it('starts lazily and reports starting → loading → ready', async () => {
    const status = await host.load(modelPath);
    expect(status).toMatchObject({ state: 'ready', error: null, model: { path: modelPath, name: 'Burrow tiny test model', backend: 'cpu', threads: 1 } });
    expect(status.model?.contextSize).toBeGreaterThanOrEqual(2048);
    expect(host.pid).toEqual(expect.any(Number));
    expect(states()).toEqual(['starting', 'loading', 'ready']);
  });

  it.runIf(process.platform === 'linux')('runs every decode from one libuv thread (one OpenMP team), with small V8 semi-spaces, two malloc arenas and a fixed mmap threshold', () => {
    const environ = readFileSync(`/proc/${host.pid ?? 0}/environ`, 'utf8').split('\0');
    expect(environ).toContain('UV_THREADPOOL_SIZE=1');
    expect(environ).toContain('MALLOC_ARENA_MAX=2');
    expect(environ).toContain('MALLOC_MMAP_THRESHOLD_=33554432');
    expect(environ).toContain('MALLOC_TRIM_THRESHOLD_=67108864');
    expect(readFileSync(`/proc/${host.pid ?? 0}/cmdline`, 'utf8').split('\0')).toContain('--max-semi-space-size=1');
  });

  it('streams the answer in several chunks, at most one per 50 ms, before it resolves, then reports ready again', async () => {
    const order: string[] = [];
    let streamed = '';
    statuses.length = 0;
    let firstAt = 0;
    const result = await ask('stream', [], 'Tell me about your burrow.', {
      onText: (text) => {
        firstAt ||= performance.now();
        order.push('chunk');
        streamed += text;
      },
    });
    const streamMs = performance.now() - firstAt;
    order.push('resolved');
    const chunks = order.indexOf('resolved');
    expect(chunks).toBeGreaterThanOrEqual(3);
    expect(order.at(-1)).toBe('resolved');
    // Paced in the engine (text-pacer.ts): a fast model's tokens travel a few per message.
    expect(chunks).toBeLessThanOrEqual(Math.ceil(streamMs / 50) + 2);
    expect(chunks).toBeLessThan(result.stats.generatedTokens / 2);
    const { generatedTokens, durationMs } = result.stats;
    console.info(`tiny model: ${generatedTokens} tokens in ${durationMs.toFixed(0)} ms (${((generatedTokens / durationMs) * 1000).toFixed(0)} tokens/s, through the process boundary)`);
    expect(result).toMatchObject({ reason: 'done', text: streamed });
    expect(result.text.trim().length).toBeGreaterThan(0);
    expect(result.stats.generatedTokens).toBe(MAX_TOKENS);
    expect(result.stats.evaluatedTokens).toBeGreaterThan(0);
    expect(states()).toEqual(['generating', 'ready']);
  });

  it('stops within 200 ms of a cancel and keeps the partial answer', async () => {
    const controller = new AbortController();
    const chunks: string[] = [];
    let abortedAt = 0;
    const result = await ask('cancel', [], 'Talk for a long time.', {
      signal: controller.signal,
      onText: (text) => {
        chunks.push(text);
        // The second message comes 50 ms into the answer (text-pacer.ts), well before its end.
        if (chunks.length === 2) {
          abortedAt = performance.now();
          controller.abort();
        }
      },
    });
    const latencyMs = performance.now() - abortedAt;
    console.info(`cancel latency: ${latencyMs.toFixed(1)} ms, ${result.stats.generatedTokens} tokens generated`);
    expect(result.reason).toBe('cancelled');
    expect(latencyMs).toBeLessThan(200);
    expect(result.text.startsWith(chunks.slice(0, 2).join(''))).toBe(true);
    expect(result.stats.generatedTokens).toBeLessThan(MAX_TOKENS);
    expect(host.status().state).toBe('ready');

    // The cancelled turn, partial answer included, is the history of a cheap follow-up.
    const history: ChatTurn[] = [{ role: 'user', text: 'Talk for a long time.' }, { role: 'assistant', text: result.text }];
    const next = await ask('cancel', history, 'Go on.');
    expect(next.reason).toBe('done');
    expect(next.stats.evaluatedTokens).toBeLessThan(40);
  });

  it('answers a request that was cancelled while waiting, without running it', async () => {
    const controller = new AbortController();
    // Both requests are sent before the first chunk arrives, so the second waits in the engine's queue when it is cancelled.
    const running = ask('stream', [], 'First.', { onText: () => controller.abort() });
    const waiting = ask('cancel', [], 'Second.', { signal: controller.signal });
    expect(await waiting).toMatchObject({ reason: 'cancelled', text: '', stats: { generatedTokens: 0 } });
    expect((await running).reason).toBe('done');
    expect(await ask('x', [], 'Third.', { signal: AbortSignal.abort() })).toMatchObject({ reason: 'cancelled', text: '' });
  });

  it('reuses the KV cache: a follow-up evaluates far fewer tokens than the same history in a fresh session', async () => {
    const question = 'Where does the rabbit sleep when the night is cold and the rain falls on the field? '.repeat(3);
    const first = await ask('kv', [], question);
    const history: ChatTurn[] = [{ role: 'user', text: question }, { role: 'assistant', text: first.text }];
    const followUp = await ask('kv', history, 'And in the day?');
    const fresh = await ask('kv-fresh', history, 'And in the day?');
    console.info(`evaluated tokens: first turn ${first.stats.evaluatedTokens}, follow-up ${followUp.stats.evaluatedTokens}, same history in a fresh session ${fresh.stats.evaluatedTokens}`);
    expect(fresh.stats.evaluatedTokens).toBeGreaterThan(first.stats.evaluatedTokens + MAX_TOKENS / 2);
    expect(followUp.stats.evaluatedTokens * 10).toBeLessThan(fresh.stats.evaluatedTokens);
  });

  it('keeps at most maxSessions conversations, dropping the least recently used', async () => {
    const turns: Record<string, ChatTurn[]> = {};
    for (const key of ['lru-a', 'lru-b', 'lru-c']) {
      const prompt = `Hello from ${key}, tell me about the stone by the river.`;
      const answer = await ask(key, [], prompt);
      turns[key] = [{ role: 'user', text: prompt }, { role: 'assistant', text: answer.text }];
    }
    // maxSessions is 2: lru-c pushed out lru-a (the least recently used), so only lru-c is still cached.
    const kept = await ask('lru-c', turns['lru-c'] ?? [], 'More?');
    const dropped = await ask('lru-a', turns['lru-a'] ?? [], 'More?');
    expect(kept.stats.evaluatedTokens).toBeLessThan(40);
    expect(dropped.stats.evaluatedTokens).toBeGreaterThan(MAX_TOKENS);
    expect(dropped.reason).toBe('done');
  });

  it('refuses a file that is not a GGUF model and keeps the loaded one', async () => {
    const notAModel = join(dir, 'notes.gguf');
    writeFileSync(notAModel, 'These are my notes, not a model.');
    await expect(host.load(notAModel)).rejects.toMatchObject({ code: 'model_invalid', message: expect.stringMatching(/not a GGUF model/) });
    await expect(host.load(dir)).rejects.toMatchObject({ code: 'model_invalid' });
    expect(host.status()).toMatchObject({ state: 'ready', model: { path: modelPath } });
    expect((await ask('after-invalid', [], 'Still there?')).reason).toBe('done');
  });

  it('refuses a truncated GGUF before llama.cpp sees it, and keeps the loaded model', async () => {
    const truncated = join(dir, 'truncated.gguf');
    writeFileSync(truncated, readFileSync(modelPath).subarray(0, 60_000));
    await expect(host.load(truncated)).rejects.toMatchObject({ code: 'model_invalid', message: expect.stringMatching(/cut short/) });
    expect(host.status()).toMatchObject({ state: 'ready', model: { path: modelPath } });
  });

  it('reports a well-formed GGUF that llama.cpp cannot load as a failed load, and the engine keeps working', async () => {
    // Passes the validator (the file is well formed) but names an architecture llama.cpp does not know.
    const spec = tinyModelSpec();
    const unloadable = join(dir, 'unknown-architecture.gguf');
    writeGgufFile(unloadable, { ...spec, metadata: { ...spec.metadata, 'general.architecture': gguf.str('burrow-unknown') } });
    await expect(host.load(unloadable)).rejects.toMatchObject({ code: 'model_load_failed', message: expect.stringMatching(/could not load this model/) });
    // The old model was freed before loading the new one, so there is none now.
    expect(host.status()).toMatchObject({ state: 'error', model: null, error: { code: 'model_load_failed' } });
    await expect(ask('after-damaged', [], 'Hello?')).rejects.toMatchObject({ code: 'no_model' });
    expect(await host.load(modelPath)).toMatchObject({ state: 'ready', model: { path: modelPath } });
  });

  it('answers a request the engine cannot parse with an error instead of leaving it waiting', async () => {
    await expect(ask('', [], 'An empty session key does not pass the protocol schema.')).rejects.toMatchObject({ code: 'engine_error' });
    expect(host.status().state).toBe('ready');
  });

  it('says plainly when the model file is missing', async () => {
    const missing = join(dir, 'gone.gguf');
    await expect(host.load(missing)).rejects.toMatchObject({ code: 'model_load_failed', message: expect.stringMatching(/does not exist/) });
  });

  it('survives a killed engine: the pending answer fails clearly, the next one restarts it with the same model', async () => {
    expect(host.status()).toMatchObject({ state: 'ready', model: { path: modelPath } });
    const oldPid = host.pid as number;
    statuses.length = 0;
    let killed = false;
    const pending = ask('crash', [], 'Keep talking.', {
      onText: () => {
        if (!killed) {
          killed = true;
          process.kill(oldPid, 'SIGKILL');
        }
      },
    });
    await expect(pending).rejects.toMatchObject({ code: 'engine_stopped', message: expect.stringMatching(/stopped unexpectedly/) });
    expect(host.status()).toMatchObject({ state: 'stopped', error: { code: 'engine_stopped' } });
    expect(isRunning(oldPid)).toBe(false);

    const again = await ask('crash', [], 'Are you back?');
    expect(again.reason).toBe('done');
    expect(again.text.length).toBeGreaterThan(0);
    expect(host.pid).not.toBe(oldPid);
    expect(host.status()).toMatchObject({ state: 'ready', model: { path: modelPath } });
    expect(states()).toEqual(['generating', 'stopped', 'starting', 'loading', 'ready', 'generating', 'ready']);
  });

  // node-llama-cpp caps a context's threads at the cap of the moment it is made: a model loaded
  // again after a 1-thread setting kept 1 thread when given 2 (llama-engine.ts, #withThreadCap).
  it.runIf(usableCores() >= 2)('gives a reloaded model the threads it is set to, also after a smaller setting', async () => {
    await host.updateSettings({ threads: 1 });
    expect(host.status()).toMatchObject({ state: 'ready', model: { threads: 1 } });
    await host.updateSettings({ threads: 2 });
    expect(host.status()).toMatchObject({ state: 'ready', model: { threads: 2 } });
    expect((await ask('threads', [], 'Hello?')).reason).toBe('done');
    await host.updateSettings({ threads: undefined });
    expect(host.status()).toMatchObject({ state: 'ready', model: { threads: 1 } });
  });

  it('unloads: later answers need a model again', async () => {
    await host.unload();
    expect(host.status()).toEqual({ state: 'idle', model: null, error: null });
    await expect(ask('after-unload', [], 'Hello?')).rejects.toMatchObject({ code: 'no_model' });
  });

  it('dispose ends the process and resolves once it is gone', async () => {
    const pid = host.pid as number;
    expect(isRunning(pid)).toBe(true);
    await host.dispose();
    expect(isRunning(pid)).toBe(false);
    expect(host.status().state).toBe('stopped');
    await expect(host.load(modelPath)).rejects.toMatchObject({ code: 'engine_stopped' });
  });
});

describe('thread choice', () => {
  it('uses one thread for tiny models, every usable core otherwise, and never more than the cores', () => {
    expect(chooseThreads({ modelBytes: 200_000, available: 8 })).toBe(1);
    expect(chooseThreads({ modelBytes: TINY_MODEL_BYTES, available: 8 })).toBe(8);
    expect(chooseThreads({ modelBytes: 700_000_000, available: 2 })).toBe(2);
    expect(chooseThreads({ requested: 16, modelBytes: 700_000_000, available: 2 })).toBe(2);
    expect(chooseThreads({ requested: 0, modelBytes: 700_000_000, available: 4 })).toBe(1);
    expect(chooseThreads({ requested: 3, modelBytes: 200_000, available: 4 })).toBe(3);
  });
});
