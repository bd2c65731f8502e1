/**
 * LoRA adapters in the library through the real router and real SQLite: adding an adapter the
 * host handed over (and refusing one it did not, one for another model, a model as an adapter),
 * listing with facts and fit, defaults and per-conversation choices with scales, removing
 * (the file stays), adapters never in the models list, an adapter refused as a model (by the real
 * engine process), and a deleted conversation taking its adapter choice with it.
 */
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import { conversationAdaptersKey } from '../../src/core/store/conversation-sql';
import { validateAdapter } from '../../src/core/gguf/gguf-validator';
import type { ProcedureInput, ProcedureName } from '../../src/shared/contract';
import type { ErrorValue } from '../../src/shared/errors';
import { z } from 'zod';
import { clientOf } from '../support/client';
import { tinyLoraPath, writeTinyLora } from '../support/tiny-lora';
import { tinyModelPath, writeTinyModel } from '../support/tiny-model';

let dataDir: string;
let userDir: string;
let assistant: Assistant;
let askedFor: string[];
let picked: string | null;
let modelPath: string;
let adapterPath: string;

const call = <K extends ProcedureName>(name: K, input: ProcedureInput<K>) => clientOf(assistant).call(name, input);

async function refusal<K extends ProcedureName>(name: K, input: ProcedureInput<K>): Promise<ErrorValue> {
  const result = await assistant.router.call(name, input);
  if (result.ok) throw new Error(`${name} should have failed`);
  return result.error;
}

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'burrow-adapters-'));
  userDir = realpathSync(mkdtempSync(join(tmpdir(), 'burrow-adapters-user-')));
  modelPath = join(userDir, 'tiny.gguf');
  copyFileSync(tinyModelPath(), modelPath);
  adapterPath = join(userDir, 'rabbit.gguf');
  copyFileSync(tinyLoraPath(), adapterPath);
  picked = null;
  askedFor = [];
  assistant = createAssistant({
    dataDir,
    spawnEngine: spawnNodeEngine({ fromSource: true }),
    engineSettings: { maxTokens: 8, seed: 1 },
    autoLoadLastModel: false,
    grantedModels: [modelPath],
    pickModelFile: (kind) => {
      askedFor.push(kind ?? 'model');
      return Promise.resolve(picked);
    },
  });
});

afterEach(async () => {
  await assistant.dispose();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(userDir, { recursive: true, force: true });
});

describe('adding and listing adapters', () => {
  it('adds a handed-over adapter, lists it with its facts, and keeps it out of the models list', async () => {
    expect(await refusal('models.addAdapter', { modelPath, path: adapterPath })).toMatchObject({ code: 'refused', message: expect.stringMatching(/only adds adapter files you picked yourself/) });

    assistant.grantAdapter(adapterPath);
    const added = await call('models.addAdapter', { modelPath, path: adapterPath });
    expect(added).toMatchObject({ path: adapterPath, fileName: 'rabbit.gguf', name: 'rabbit-adapter', rank: 1, alpha: 1, baseArchitecture: 'llama', fits: true, defaultScale: null, fileMissing: false });
    expect(added.problem).toBeUndefined();
    expect(added.size).toBeGreaterThan(0);
    expect(await call('models.adapters', { modelPath })).toEqual([added]);

    // Never a model: not in the models list, not among the recent models.
    const library = await call('models.list', {});
    expect(library.models.map((model) => model.path)).toEqual([modelPath]);
    expect(assistant.models.recent()).not.toContain(adapterPath);
  });

  it('adds one through the file picker', async () => {
    picked = adapterPath;
    expect(await call('models.pickAdapter', { modelPath })).toMatchObject({ adapter: { path: adapterPath, fits: true } });
    picked = null;
    expect(await call('models.pickAdapter', { modelPath })).toEqual({ adapter: null });
    // The host is asked for an adapter, so its dialog says so ("Add a LoRA adapter").
    expect(askedFor).toEqual(['adapter', 'adapter']);
  });

  it('refuses an adapter for another size or architecture, and a model as an adapter, each with its reason', async () => {
    const wide = assistant.grantAdapter(writeTinyLora(join(userDir, 'wide.gguf'), { dims: 64 }));
    expect(await refusal('models.addAdapter', { modelPath, path: wide })).toMatchObject({
      code: 'model_invalid',
      message: expect.stringMatching(/for a llama model with 64-wide layers .*; the model "Burrow tiny test model" is llama, 32-wide, 2 layers/),
    });
    const qwen = assistant.grantAdapter(writeTinyLora(join(userDir, 'qwen.gguf'), { architecture: 'qwen2' }));
    expect(await refusal('models.addAdapter', { modelPath, path: qwen })).toMatchObject({ code: 'model_invalid', message: expect.stringMatching(/for a qwen2 model.*the model .* is llama/) });
    const model = assistant.grantAdapter(writeTinyModel(join(userDir, 'another-model.gguf')));
    expect(await refusal('models.addAdapter', { modelPath, path: model })).toMatchObject({ code: 'model_invalid', message: expect.stringMatching(/This is a model, not an adapter — add it under Models/) });
    expect(await call('models.adapters', { modelPath })).toEqual([]);
  });

  it('says when an added adapter no longer fits (the base model changed) or is gone', async () => {
    assistant.grantAdapter(adapterPath);
    await call('models.addAdapter', { modelPath, path: adapterPath });
    writeTinyModel(modelPath, { dims: 64 }); // another model under the same name
    const [changed] = await call('models.adapters', { modelPath });
    expect(changed).toMatchObject({ fits: false, problem: expect.stringMatching(/32-wide layers.*is llama, 64-wide/) });
    rmSync(adapterPath);
    expect(await call('models.adapters', { modelPath })).toMatchObject([{ fits: false, fileMissing: true, size: 0, problem: expect.stringMatching(/is gone/) }]);
  });

  it('keeps an adapter in the models folder out of the models list', async () => {
    const folder = join(dataDir, 'models');
    mkdirSync(folder, { recursive: true });
    copyFileSync(tinyLoraPath(), join(folder, 'dropped-adapter.gguf'));
    copyFileSync(tinyModelPath(), join(folder, 'a-model.gguf'));
    const library = await call('models.list', {});
    expect(library.models.map((model) => model.fileName).sort()).toEqual(['a-model.gguf', 'tiny.gguf']);
  });

  it('refuses to load an adapter as a model, naming where adapters go', async () => {
    assistant.models.grant(adapterPath);
    expect(await refusal('models.load', { path: adapterPath })).toMatchObject({
      code: 'model_invalid',
      message: expect.stringMatching(/This is a LoRA adapter, not a model.*Models → the base model → Adapters/),
    });
  }, 30_000);
});

describe('defaults, conversations and removing', () => {
  beforeEach(async () => {
    assistant.grantAdapter(adapterPath);
    await call('models.addAdapter', { modelPath, path: adapterPath });
  });

  it('sets a model default with a scale, checked 0..2 and only for its own adapters', async () => {
    expect(await call('models.setAdapterDefaults', { modelPath, adapters: [{ path: adapterPath, scale: 0.5 }] })).toMatchObject([{ path: adapterPath, defaultScale: 0.5 }]);
    expect(await refusal('models.setAdapterDefaults', { modelPath, adapters: [{ path: adapterPath, scale: 2.5 }] })).toMatchObject({ code: 'invalid_input' });
    expect(await refusal('models.setAdapterDefaults', { modelPath, adapters: [{ path: adapterPath, scale: 1 }, { path: adapterPath, scale: 1 }] })).toMatchObject({ code: 'invalid_input' });
    expect(await refusal('models.setAdapterDefaults', { modelPath, adapters: [{ path: join(userDir, 'other.gguf'), scale: 1 }] })).toMatchObject({ code: 'refused' });
    expect(await assistant.library.adapters.effective(modelPath, null)).toEqual([{ path: adapterPath, scale: 0.5, name: 'rabbit-adapter' }]);
  });

  it('counts the default adapters in the memory estimate', async () => {
    expect((await call('models.estimate', { path: modelPath })).adapterBytes).toBe(0);
    await call('models.setAdapterDefaults', { modelPath, adapters: [{ path: adapterPath, scale: 1 }] });
    const estimate = await call('models.estimate', { path: modelPath });
    const verdict = await validateAdapter(adapterPath);
    expect(verdict.ok && estimate.adapterBytes === verdict.facts.tensorBytes && estimate.adapterBytes > 0).toBe(true);
    expect(estimate.totalBytes).toBe(estimate.weightsBytes + estimate.kvCacheBytes + estimate.adapterBytes);
  }, 30_000);

  it('gives a conversation its own adapters (null: the model default), and forgets them with the conversation', async () => {
    await call('models.setAdapterDefaults', { modelPath, adapters: [{ path: adapterPath, scale: 1 }] });
    const { id } = await call('conversations.create', {});
    expect(await call('conversations.getModel', { id })).toEqual({ id, path: null, adapters: null });
    expect(await assistant.library.adapters.effective(modelPath, id)).toEqual([{ path: adapterPath, scale: 1, name: 'rabbit-adapter' }]);

    expect(await call('conversations.setAdapters', { id, adapters: [] })).toEqual({ id, path: null, adapters: [] });
    expect(await assistant.library.adapters.effective(modelPath, id)).toEqual([]);
    expect(await call('conversations.setAdapters', { id, adapters: [{ path: adapterPath, scale: 1.5 }] })).toMatchObject({ adapters: [{ path: adapterPath, scale: 1.5 }] });
    expect(await call('conversations.getModel', { id })).toMatchObject({ adapters: [{ path: adapterPath, scale: 1.5 }] });
    expect(await refusal('conversations.setAdapters', { id, adapters: [{ path: join(userDir, 'nope.gguf'), scale: 1 }] })).toMatchObject({ code: 'refused' });

    // Named through a link, it is the adapter it leads to.
    const link = join(userDir, 'link-to-rabbit.gguf');
    symlinkSync(adapterPath, link);
    expect(await call('conversations.setAdapters', { id, adapters: [{ path: link, scale: 1 }] })).toMatchObject({ adapters: [{ path: adapterPath, scale: 1 }] });

    const settings = assistant.storage.settings;
    expect(settings.get(conversationAdaptersKey(id), z.unknown(), 'absent')).not.toBe('absent');
    await call('conversations.delete', { id });
    expect(settings.get(conversationAdaptersKey(id), z.unknown(), 'absent')).toBe('absent');
  });

  it('answers a conversation with its own adapters, and the quick prompt with the model default', async () => {
    await call('models.load', { path: modelPath });
    const answer = async (started: Promise<{ generationId: string; conversationId?: string | null; assistantMessage?: { conversationId: string } }>): Promise<string> => {
      const { generationId } = await started;
      const end = await new Promise<{ conversationId: string | null; messageId: string | null }>((resolve) => {
        const stop = assistant.subscribe((name, payload) => {
          const event = payload as { generationId?: string; conversationId: string | null; messageId: string | null };
          if (name === 'generation.end' && event.generationId === generationId) {
            stop();
            resolve(event);
          }
        });
      });
      const view = await call('conversations.get', { id: end.conversationId ?? '' });
      return view.messages.at(-1)?.content ?? '';
    };
    const plain = await call('conversations.create', {});
    const base = await answer(call('chat.send', { conversationId: plain.id, text: 'Tell me about the burrow.' }));
    expect(base).not.toMatch(/rabbit rabbit/);

    const own = await call('conversations.create', {});
    await call('conversations.setAdapters', { id: own.id, adapters: [{ path: adapterPath, scale: 1 }] });
    expect(await answer(call('chat.send', { conversationId: own.id, text: 'Tell me about the burrow.' }))).toMatch(/rabbit rabbit rabbit/);
    expect(assistant.engine.status().model?.adapters).toEqual([{ path: adapterPath, scale: 1, name: 'rabbit-adapter' }]);

    // No own choice: the model's default (none yet, then the rabbit adapter), in a conversation and in the quick prompt.
    expect(await answer(call('chat.send', { conversationId: plain.id, text: 'Tell me about the burrow.' }))).not.toMatch(/rabbit rabbit/);
    await call('models.setAdapterDefaults', { modelPath, adapters: [{ path: adapterPath, scale: 1 }] });
    expect(await answer(call('quick.ask', { conversationId: null, text: 'Tell me about the burrow.' }))).toMatch(/rabbit rabbit rabbit/);

    // The local API answers with the model's defaults too, after a conversation that had none.
    await call('conversations.setAdapters', { id: plain.id, adapters: [] });
    expect(await answer(call('chat.send', { conversationId: plain.id, text: 'Tell me about the burrow.' }))).not.toMatch(/rabbit rabbit/);
    const direct = await call('generate.chat', { messages: [{ role: 'user', text: 'Tell me about the burrow.' }], options: { temperature: 0 } });
    let text = '';
    await clientOf(assistant).followGeneration(direct.generationId, { onDelta: (_delta, soFar) => (text = soFar) });
    expect(text).toMatch(/rabbit rabbit rabbit/);
  }, 60_000);

  it('removes an adapter without touching its file, and drops it from the defaults', async () => {
    await call('models.setAdapterDefaults', { modelPath, adapters: [{ path: adapterPath, scale: 1 }] });
    expect(await call('models.removeAdapter', { modelPath, path: adapterPath })).toEqual([]);
    expect(existsSync(adapterPath)).toBe(true);
    expect(assistant.library.adapters.defaults(modelPath)).toEqual([]);
    expect(await assistant.library.adapters.effective(modelPath, null)).toEqual([]);
    expect(await refusal('models.removeAdapter', { modelPath, path: adapterPath })).toMatchObject({ code: 'not_found' });
  });
});
