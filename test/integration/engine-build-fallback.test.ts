/**
 * The real engine process, on real llama.cpp with the suite's tiny model, dying the way a build
 * with a kernel the CPU refuses dies: a real SIGILL while its first answer is pending. The
 * process is stopped (SIGSTOP) before the answer is asked for and the SIGILL is queued before it
 * runs again (SIGCONT), so it dies before it writes anything, every time.
 *
 * With Burrow's own build (`npm run build:engine`), the host falls back to the prebuilt binary,
 * answers on it and remembers the failure in the data folder; without one (CI has none: the
 * build takes minutes), that test is skipped. The prebuilt binary is never fallen back from.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildFallbackFile, fileBuildFallback } from '../../src/core/engine/build-fallback';
import { EngineHost } from '../../src/core/engine/engine-host';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import type { EngineSettings, GenerateResult } from '../../src/core/engine/types';
import { tinyModelPath } from '../support/tiny-model';

const modelPath = tinyModelPath();
const spawn = spawnNodeEngine({ fromSource: true });
const dir = mkdtempSync(join(tmpdir(), 'burrow-build-fallback-'));
const hosts: EngineHost[] = [];

afterAll(async () => {
  await Promise.all(hosts.map((host) => host.dispose()));
  rmSync(dir, { recursive: true, force: true });
});

function newHost(name: string, settings: EngineSettings = {}): { host: EngineHost; file: string } {
  const file = buildFallbackFile(join(dir, name));
  rmSync(file, { force: true });
  mkdirSync(join(dir, name), { recursive: true });
  const host = new EngineHost({ spawn, settings: { maxTokens: 40, gpu: false, ...settings }, buildFallback: fileBuildFallback(file) });
  hosts.push(host);
  return { host, file };
}

/** Asks for an answer while the engine is stopped, and makes it die of SIGILL before it reads the request. */
function askIntoSigill(host: EngineHost): Promise<GenerateResult> {
  const pid = host.pid as number;
  process.kill(pid, 'SIGSTOP');
  const answer = host.generate({ sessionKey: 'c1', history: [], prompt: 'Hello?', signal: new AbortController().signal, onText: () => undefined });
  // The request is on its way (the host sends at once); the signal is pending until SIGCONT.
  setTimeout(() => {
    process.kill(pid, 'SIGILL');
    process.kill(pid, 'SIGCONT');
  }, 50);
  return answer;
}

describe.skipIf(process.platform === 'win32')('the engine dies of an illegal instruction at its first answer', () => {
  it("on Burrow's own build: the answer comes from the prebuilt binary, and the next start uses it from the first load", async (context) => {
    const { host, file } = newHost('own');
    await host.load(modelPath);
    const before = await host.hardware();
    if (before.engineBuild === 'prebuilt') context.skip('no engine build of Burrow here: run `npm run build:engine` to run this test');
    const oldPid = host.pid;

    const result = await askIntoSigill(host);
    expect(result.reason).toBe('done');
    expect(result.text.length).toBeGreaterThan(0);
    expect(host.pid).not.toBe(oldPid);
    const reason = fileBuildFallback(file).read();
    expect(reason).toBe(`Burrow's ${before.engineBuild} engine build stopped with an illegal instruction at its first answer`);
    expect(await host.hardware()).toMatchObject({ engineBuild: 'prebuilt', engineFallback: reason });
    expect(host.status()).toMatchObject({ state: 'ready', model: { path: modelPath } });

    const next = new EngineHost({ spawn, settings: { maxTokens: 40, gpu: false }, buildFallback: fileBuildFallback(file) });
    hosts.push(next);
    expect(next.buildFallbackReason).toBe(reason);
    await next.load(modelPath);
    expect((await next.hardware()).engineBuild).toBe('prebuilt');
  });

  it('on the prebuilt binary: the answer fails plainly, nothing is recorded, and the next answer restarts it', async () => {
    const { host, file } = newHost('prebuilt', { engineBuild: 'prebuilt' });
    await host.load(modelPath);
    const report = await host.hardware();
    expect(report.engineBuild).toBe('prebuilt');
    expect(report.engineFallback).toBeUndefined();
    await expect(askIntoSigill(host)).rejects.toMatchObject({ code: 'engine_stopped', message: expect.stringMatching(/stopped unexpectedly/) });
    expect(host.status()).toMatchObject({ state: 'stopped', error: { code: 'engine_stopped' } });
    expect(fileBuildFallback(file).read()).toBeNull();
    expect(host.buildFallbackReason).toBeNull();
    const again = await host.generate({ sessionKey: 'c1', history: [], prompt: 'Back?', signal: new AbortController().signal, onText: () => undefined });
    expect(again.reason).toBe('done');
  });
});
