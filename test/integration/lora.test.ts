/**
 * LoRA adapters through the real engine process and real llama.cpp on the suite's tiny model
 * and its rabbit adapter: the same prompt answered greedily differs with the adapter (it says
 * "rabbit"), scale 0 gives the base model's answer, the status says 'applying' with the adapter's
 * name while the context is rebuilt, a conversation that switches adapters never reuses the
 * other set's KV cache (in memory or saved on disk), and a wrong adapter is refused before
 * llama.cpp sees it, leaving the model answering.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { EngineHost } from '../../src/core/engine/engine-host';
import type { ChatTurn, EngineSettings, GenerateResult } from '../../src/core/engine/types';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import type { AppliedAdapter, EngineStatus } from '../../src/shared/contract';
import { tinyLoraPath, writeTinyLora } from '../support/tiny-lora';
import { tinyModelPath, writeTinyModel } from '../support/tiny-model';

const modelPath = tinyModelPath();
const rabbit: AppliedAdapter = { path: tinyLoraPath(), scale: 1, name: 'rabbit-adapter' };
const spawn = spawnNodeEngine({ fromSource: true });
const root = mkdtempSync(join(tmpdir(), 'burrow-lora-'));
const hosts: EngineHost[] = [];

afterEach(async () => {
  for (const host of hosts.splice(0)) await host.dispose();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function start(settings: EngineSettings = {}, statuses?: EngineStatus[]): Promise<EngineHost> {
  const host = new EngineHost({ spawn, settings: { maxTokens: 12, temperature: 0, gpu: false, ...settings }, ...(statuses ? { onStatus: (status: EngineStatus) => statuses.push(status) } : {}) });
  hosts.push(host);
  await host.load(modelPath);
  return host;
}

function ask(host: EngineHost, sessionKey: string, prompt: string, adapters?: AppliedAdapter[], history: ChatTurn[] = []): Promise<GenerateResult> {
  return host.generate({ sessionKey, history, prompt, ...(adapters === undefined ? {} : { adapters }), signal: new AbortController().signal, onText: () => undefined });
}

const PROMPT = 'Tell me about the burrow.';

describe('LoRA adapters in the engine', () => {
  it('changes greedy output with the adapter, and gives the base output at scale 0', async () => {
    const statuses: EngineStatus[] = [];
    const host = await start({}, statuses);
    const base = await ask(host, 'base', PROMPT, []);
    const steered = await ask(host, 'steered', PROMPT, [rabbit]);
    expect(steered.text).not.toBe(base.text);
    expect(steered.text.split(/\s+/).filter((word) => word === 'rabbit').length).toBeGreaterThanOrEqual(8);
    expect(base.text).not.toMatch(/rabbit rabbit/);
    // The status said which adapter was being applied, then the model carries it (for the chip).
    expect(statuses.some((status) => status.state === 'applying' && status.model?.adapters?.[0]?.name === 'rabbit-adapter')).toBe(true);
    expect(host.status().model?.adapters).toEqual([rabbit]);

    const off = await ask(host, 'off', PROMPT, [{ ...rabbit, scale: 0 }]);
    expect(off.text).toBe(base.text);
    // No adapters: back to the base model, with no adapters on the status.
    expect((await ask(host, 'base-again', PROMPT, [])).text).toBe(base.text);
    expect(host.status().model?.adapters).toBeUndefined();
  }, 60_000);

  it('never reuses a conversation’s KV cache computed with other adapters, in memory or from disk', async () => {
    const stateDir = join(root, 'state');
    const host = await start({ stateDir, maxSessions: 2 });
    const first = await ask(host, 'a', PROMPT, []);
    const history: ChatTurn[] = [
      { role: 'user', text: PROMPT },
      { role: 'assistant', text: first.text },
    ];
    // Same adapters: the follow-up evaluates only its new tokens.
    const same = await ask(host, 'a', 'More?', [], history);
    const newTokens = same.stats.evaluatedTokens;
    expect(newTokens).toBeLessThan(same.stats.promptTokens ?? Infinity);

    // With the adapter: everything is evaluated again (the KV cache came from the base model).
    const switched = await ask(host, 'a', 'More?', [rabbit], history);
    expect(switched.stats.evaluatedTokens).toBe(switched.stats.promptTokens);

    // Back to none: the saved state now holds the adapter's KV cache (saved under its key when the
    // context was rebuilt), so it is not restored: everything is evaluated again, and the answer is the base one.
    const back = await ask(host, 'a', 'More?', [], history);
    expect(back.stats.evaluatedTokens).toBe(back.stats.promptTokens);
    expect(back.text).toBe(same.text);

    // The same adapter at another scale is another KV cache too.
    await ask(host, 'a', 'More?', [rabbit], history);
    const rescaled = await ask(host, 'a', 'More?', [{ ...rabbit, scale: 0.5 }], history);
    expect(rescaled.stats.evaluatedTokens).toBe(rescaled.stats.promptTokens);
  }, 90_000);

  it('refuses an adapter for another model before llama.cpp sees it, and keeps answering', async () => {
    const host = await start();
    const base = await ask(host, 'x', PROMPT, []);
    const wide: AppliedAdapter = { path: writeTinyLora(join(root, 'wide.gguf'), { dims: 64 }), scale: 1, name: 'wide' };
    await expect(ask(host, 'x', PROMPT, [wide])).rejects.toMatchObject({ code: 'model_invalid', message: expect.stringMatching(/64-wide layers.*the model "Burrow tiny test model" is llama, 32-wide/) });
    const model = join(root, 'a-model.gguf');
    writeTinyModel(model);
    await expect(ask(host, 'x', PROMPT, [{ path: model, scale: 1, name: 'm' }])).rejects.toMatchObject({ message: expect.stringMatching(/This is a model, not an adapter/) });
    const truncated = join(root, 'cut.gguf');
    copyFileSync(tinyLoraPath(), truncated);
    const { truncateSync, statSync } = await import('node:fs');
    truncateSync(truncated, Math.floor(statSync(truncated).size / 2));
    await expect(ask(host, 'x', PROMPT, [{ path: truncated, scale: 1, name: 'cut' }])).rejects.toMatchObject({ message: expect.stringMatching(/adapter file is cut short/) });
    expect((await ask(host, 'x', PROMPT, [])).text).toBe(base.text);
    expect(host.status().state).toBe('ready');
  }, 60_000);
});
