/**
 * EngineHost.updateSettings against a fake engine process that speaks the real protocol:
 * answer settings go with the next answer, load-time ones reload the model — at once, or after
 * the answers being written.
 */
import { describe, expect, it } from 'vitest';
import { EngineHost } from '../../../src/core/engine/engine-host';
import { HostMessage, type WorkerMessage } from '../../../src/core/engine/protocol';
import { answerDefaults, loadTimeSettingsDiffer, mergeEngineSettings, splitEngineSettings } from '../../../src/core/engine/runtime-settings';
import type { ProcessChannel } from '../../../src/core/process/channel';

interface FakeEngine {
  loads: Array<Record<string, unknown>>;
  generations: Array<{ id: number; options: Record<string, unknown> | undefined }>;
  /** Finishes the generation with this request id. */
  finish(id: number): void;
}

function fakeSpawn(): { spawn: () => ProcessChannel; engine: FakeEngine } {
  const engine: FakeEngine = { loads: [], generations: [], finish: () => undefined };
  const spawn = (): ProcessChannel => {
    let listener: (message: unknown) => void = () => undefined;
    let onExit: (info: { code: number | null; signal: string | null }) => void = () => undefined;
    const reply = (message: WorkerMessage): void => queueMicrotask(() => listener(message));
    engine.finish = (id) => reply({ type: 'done', id, text: 'ok', reason: 'done', stats: { evaluatedTokens: 1, generatedTokens: 1, durationMs: 1, truncatedMessages: 0 } });
    queueMicrotask(() => listener({ type: 'started', pid: 4242 }));
    return {
      pid: 4242,
      send(raw) {
        const message = HostMessage.parse(raw);
        switch (message.type) {
          case 'load':
            engine.loads.push(message.settings);
            reply({ type: 'loaded', id: message.id, model: { path: message.path, name: 'fake', sizeBytes: 1, contextSize: message.settings.contextSize ?? 2048, backend: 'cpu', threads: message.settings.threads ?? 1 }, engineBuild: 'prebuilt' });
            return;
          case 'generate':
            engine.generations.push({ id: message.id, options: message.options });
            return;
          case 'dispose':
            queueMicrotask(() => onExit({ code: 0, signal: null }));
            return;
          default:
            if ('id' in message) reply({ type: 'ok', id: message.id });
        }
      },
      onMessage: (next) => {
        listener = next;
      },
      onExit: (next) => {
        onExit = next;
      },
      kill: () => queueMicrotask(() => onExit({ code: null, signal: 'SIGKILL' })),
    };
  };
  return { spawn, engine };
}

const request = (sessionKey = 'c1') => ({ sessionKey, history: [], prompt: 'hi', signal: new AbortController().signal, onText: () => undefined });

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 1));
  expect(condition()).toBe(true);
}

describe('EngineHost.updateSettings', () => {
  it('answer settings go with the next answer, without reloading; a conversation’s own settings win', async () => {
    const { spawn, engine } = fakeSpawn();
    const host = new EngineHost({ spawn, settings: { maxTokens: 1500, seed: 7 } });
    await host.load('/models/a.gguf');
    await host.updateSettings({ maxTokens: 5, temperature: 0.2, systemPrompt: 'Be brief.' });
    const first = host.generate(request());
    await until(() => engine.generations.length === 1);
    expect(engine.generations[0]!.options).toEqual({ maxTokens: 5, temperature: 0.2, systemPrompt: 'Be brief.' });
    engine.finish(engine.generations[0]!.id);
    await first;

    const own = host.generate({ ...request(), options: { temperature: 1.1 } });
    await until(() => engine.generations.length === 2);
    expect(engine.generations[1]!.options).toEqual({ maxTokens: 5, temperature: 1.1, systemPrompt: 'Be brief.' });
    engine.finish(engine.generations[1]!.id);
    await own;
    expect(engine.loads).toHaveLength(1);

    // Back to what Burrow started with: the engine process falls back to its load settings (maxTokens 1500).
    await host.updateSettings({ maxTokens: undefined, temperature: undefined, systemPrompt: undefined });
    const after = host.generate(request());
    await until(() => engine.generations.length === 3);
    expect(engine.generations[2]!.options ?? {}).toEqual({});
    engine.finish(engine.generations[2]!.id);
    await after;
    await host.dispose();
  });

  it('a load-time setting reloads the loaded model at once, with the new value', async () => {
    const { spawn, engine } = fakeSpawn();
    const host = new EngineHost({ spawn, settings: {} });
    await host.load('/models/a.gguf');
    await host.updateSettings({ contextSize: 512, threads: 2 });
    expect(engine.loads).toHaveLength(2);
    expect(engine.loads[1]).toMatchObject({ contextSize: 512, threads: 2 });
    expect(host.status().model?.contextSize).toBe(512);
    // The same values again change nothing.
    await host.updateSettings({ contextSize: 512, threads: 2 });
    expect(engine.loads).toHaveLength(2);
    await host.dispose();
  });

  it('while an answer is being written, the reload waits until it is done', async () => {
    const { spawn, engine } = fakeSpawn();
    const host = new EngineHost({ spawn, settings: {} });
    await host.load('/models/a.gguf');
    const answering = host.generate(request());
    await until(() => engine.generations.length === 1);
    await host.updateSettings({ contextSize: 1024 });
    expect(engine.loads).toHaveLength(1);
    engine.finish(engine.generations[0]!.id);
    await answering;
    await until(() => engine.loads.length === 2);
    expect(engine.loads[1]).toMatchObject({ contextSize: 1024 });
    await until(() => host.status().model?.contextSize === 1024);
    await host.dispose();
  });

  it('with no model loaded nothing is loaded; the next load uses the new settings; a model’s own override wins', async () => {
    const { spawn, engine } = fakeSpawn();
    const host = new EngineHost({ spawn, settings: {} });
    await host.updateSettings({ contextSize: 768 });
    expect(engine.loads).toHaveLength(0);
    await host.load('/models/a.gguf', { contextSize: 300 });
    expect(engine.loads[0]).toMatchObject({ contextSize: 300 });
    // The model's own context size still wins: nothing to reload.
    await host.updateSettings({ contextSize: 999 });
    expect(engine.loads).toHaveLength(1);
    await host.dispose();
  });
});

describe('runtime settings', () => {
  it('merges a patch (undefined resets), splits answer from load settings, compares load settings', () => {
    expect(mergeEngineSettings({ maxTokens: 5, threads: 2 }, { maxTokens: undefined, contextSize: 512 })).toEqual({ threads: 2, contextSize: 512 });
    expect(splitEngineSettings({ maxTokens: 5, contextSize: 512, systemPrompt: 'x', gpuLayers: 3 })).toEqual({ answer: { maxTokens: 5, systemPrompt: 'x' }, load: { contextSize: 512, gpuLayers: 3 } });
    expect(loadTimeSettingsDiffer({ maxTokens: 5 }, { maxTokens: 6 })).toBe(false);
    expect(loadTimeSettingsDiffer({ threads: 1 }, { threads: 2 })).toBe(true);
    expect(answerDefaults({ temperature: 0, topP: 0.9, threads: 4 })).toEqual({ temperature: 0, topP: 0.9 });
  });
});
