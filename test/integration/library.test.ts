/**
 * The model library through the real router, real SQLite and the real engine process (from
 * source) running the suite's own tiny models: listing with facts, load/unload, default,
 * overrides, per-conversation models, memory estimate and hardware, imports (a hostile file
 * refused and its bytes deleted), deletes that refuse anything outside the models folder,
 * and unloading when idle.
 */
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Client } from '../../src/shared/client';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import { IMPORT_DIR } from '../../src/core/models/model-import';
import type { EventName, EventPayload, ProcedureInput, ProcedureName, ProcedureOutput } from '../../src/shared/contract';
import type { ErrorValue } from '../../src/shared/errors';
import { MAX_IMPORT_CHUNK_BYTES } from '../../src/shared/limits';
import { streamingModelPath, tinyModelPath } from '../support/tiny-model';
import { clientOf } from '../support/client';

let dataDir: string;
let modelsDir: string;
let assistant: Assistant;
let events: Array<{ name: EventName; payload: unknown }>;
let revealed: string[];

function start(): Assistant {
  const created = createAssistant({
    dataDir,
    spawnEngine: spawnNodeEngine({ fromSource: true }),
    engineSettings: { maxTokens: 8, seed: 1 },
    autoLoadLastModel: false,
    pickModelFile: () => Promise.resolve(tinyModelPath()),
    revealFile: (path) => {
      revealed.push(path);
      return Promise.resolve();
    },
  });
  created.subscribe((name, payload) => events.push({ name, payload }));
  return created;
}

const call: Client['call'] = (name, input) => clientOf(assistant).call(name, input);

async function refusal<K extends ProcedureName>(name: K, input: ProcedureInput<K>): Promise<ErrorValue> {
  const result = await assistant.router.call(name, input);
  if (result.ok) throw new Error(`${name} should have failed`);
  return result.error;
}

function nextEvent<K extends EventName>(name: K, matches: (payload: EventPayload<K>) => boolean = () => true): Promise<EventPayload<K>> {
  return new Promise((resolve) => {
    const unsubscribe = assistant.subscribe((eventName, payload) => {
      if (eventName !== name || !matches(payload as EventPayload<K>)) return;
      unsubscribe();
      resolve(payload as EventPayload<K>);
    });
  });
}

/** Streams a file's bytes through the import procedures, as the renderer does. */
async function importBytes(fileName: string, bytes: Buffer): Promise<{ importId: string; finish: Promise<Awaited<ReturnType<Assistant['router']['call']>>> }> {
  const { importId } = await call('models.importBegin', { fileName, sizeBytes: bytes.length });
  for (let offset = 0; offset < bytes.length; offset += MAX_IMPORT_CHUNK_BYTES) {
    const chunk = bytes.subarray(offset, offset + MAX_IMPORT_CHUNK_BYTES);
    await call('models.importChunk', { importId, offset, dataBase64: chunk.toString('base64') });
  }
  return { importId, finish: assistant.router.call('models.importFinish', { importId }) };
}

function importLeftovers(): string[] {
  const dir = join(modelsDir, IMPORT_DIR);
  return existsSync(dir) ? readdirSync(dir) : [];
}

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'burrow-library-'));
  modelsDir = join(dataDir, 'models');
  events = [];
  revealed = [];
  assistant = start();
});

afterEach(async () => {
  await assistant.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the model library', () => {
  it('lists the models folder and the files the user opened, with what each file says about itself', async () => {
    expect((await call('models.list', {})).models).toEqual([]);
    copyFileSync(tinyModelPath(), join(modelsDir, 'tiny-copy.gguf'));
    writeFileSync(join(modelsDir, 'broken.gguf'), 'GGUF but not really');
    writeFileSync(join(modelsDir, 'notes.txt'), 'not a model');
    await call('models.openLocal', {});

    const library = await call('models.list', {});
    expect(library.canReveal).toBe(true);
    expect(library.modelsFolder).toContain(join('models'));
    const byFile = Object.fromEntries(library.models.map((model) => [model.fileName, model]));
    expect(Object.keys(byFile).sort()).toEqual(['broken.gguf', 'tiny-copy.gguf', tinyModelPath().split('/').pop()].sort());

    const opened = library.models[0];
    expect(opened?.isLoaded, 'the loaded model comes first').toBe(true);
    expect(opened).toMatchObject({ source: 'disk', inModelsFolder: false, isDefault: true, name: 'Burrow tiny test model', problem: null });
    expect(opened?.facts).toEqual({ architecture: 'llama', parameterCount: expect.any(Number), quantisation: 'F32', contextLength: 2048, layerCount: 2, hasChatTemplate: true });
    expect(byFile['tiny-copy.gguf']).toMatchObject({ source: 'folder', inModelsFolder: true, isLoaded: false, isDefault: false });
    expect(byFile['broken.gguf']?.facts).toBeNull();
    expect(byFile['broken.gguf']?.problem).toMatch(/.+/);
  });

  it('loads, unloads and sets the default; the default is what a conversation uses when nothing is loaded', async () => {
    const copy = join(modelsDir, 'tiny-copy.gguf');
    copyFileSync(tinyModelPath(), copy);
    const loaded = await call('models.load', { path: copy });
    expect(loaded.state).toBe('ready');
    expect((await call('models.unload', {})).model).toBeNull();

    const library = await call('models.setDefault', { path: copy });
    expect(library.models.find((model) => model.fileName === 'tiny-copy.gguf')?.isDefault).toBe(true);
    expect(events.some((event) => event.name === 'library.changed')).toBe(true);

    const conversation = await call('conversations.create', {});
    const started = await call('chat.send', { conversationId: conversation.id, text: 'hello' });
    await nextEvent('generation.end', (end) => end.generationId === started.generationId);
    expect(assistant.engine.status().model?.path).toBe(realpathSync(copy));
  });

  it('answers each conversation with its own model, loading it first', async () => {
    await call('models.openLocal', {});
    const streaming = streamingModelPath();
    copyFileSync(streaming, join(modelsDir, 'streaming.gguf'));
    const ownPath = (await call('models.list', {})).models.find((model) => model.fileName === 'streaming.gguf')?.path ?? '';
    const plain = await call('conversations.create', {});
    const special = await call('conversations.create', {});
    expect(await call('conversations.setModel', { id: special.id, path: ownPath })).toEqual({ id: special.id, path: ownPath, adapters: null });
    expect(await call('conversations.getModel', { id: plain.id })).toEqual({ id: plain.id, path: null, adapters: null });

    const first = await call('chat.send', { conversationId: special.id, text: 'hi' });
    expect((await nextEvent('generation.end', (end) => end.generationId === first.generationId)).reason).toBe('done');
    expect(assistant.engine.status().model?.path).toBe(ownPath);

    // A conversation without its own model uses whatever is loaded.
    const second = await call('chat.send', { conversationId: plain.id, text: 'hi' });
    expect((await nextEvent('generation.end', (end) => end.generationId === second.generationId)).reason).toBe('done');
    expect(assistant.engine.status().model?.path).toBe(ownPath);

    // Never picked: refused, whether or not it exists (SECURITY.md item 29).
    expect((await refusal('conversations.setModel', { id: plain.id, path: join(tmpdir(), 'elsewhere.gguf') })).code).toBe('refused');
    expect((await refusal('conversations.getModel', { id: 'no-such-conversation' })).code).toBe('not_found');
  });

  it('applies per-model overrides at load, and estimates memory and reports the hardware from the engine', async () => {
    const copy = join(modelsDir, 'tiny-copy.gguf');
    copyFileSync(tinyModelPath(), copy);
    const updated = await call('models.setOverrides', { path: copy, contextSize: 512 });
    expect(updated.overrides).toEqual({ gpuLayers: null, contextSize: 512 });

    const estimate = await call('models.estimate', { path: copy });
    expect(estimate).toMatchObject({ contextSize: 512, fits: true, warning: null, layerCount: expect.any(Number) });
    expect(estimate.weightsBytes).toBeGreaterThan(100_000);
    expect(estimate.kvCacheBytes).toBeGreaterThan(0);
    expect(estimate.totalBytes).toBe(estimate.weightsBytes + estimate.kvCacheBytes);
    expect(estimate.totalRamBytes).toBeGreaterThan(estimate.freeRamBytes * 0.5);
    const bigger = await call('models.estimate', { path: copy, contextSize: 2048 });
    expect(bigger.kvCacheBytes).toBeGreaterThan(estimate.kvCacheBytes);
    expect(assistant.engine.status().state, 'estimating never loads a model').toBe('idle');

    const loaded = await call('models.load', { path: copy });
    expect(loaded.model?.contextSize).toBe(512);

    const hardware = await call('engine.hardware', {});
    expect(hardware.backend).toMatch(/^(cpu|metal|cuda|vulkan)$/);
    expect(hardware.engineBuild).toMatch(/^(native|portable|prebuilt)$/);
    expect(hardware.ramTotal).toBeGreaterThan(0);
    expect(hardware.cores).toBeGreaterThanOrEqual(1);
    expect(hardware.threads).toBeGreaterThanOrEqual(1);

    await call('models.setOverrides', { path: copy, contextSize: null });
    expect((await call('models.list', {})).models[0]?.overrides).toEqual({ gpuLayers: null, contextSize: null });
  });

  it('refuses to estimate or load a hostile file, and the engine keeps working', async () => {
    const hostile = join(modelsDir, 'hostile.gguf');
    const header = Buffer.alloc(64);
    header.write('GGUF', 0, 'latin1');
    header.writeUInt32LE(3, 4);
    header.writeBigUInt64LE(0n, 8);
    header.writeBigUInt64LE(2n ** 40n, 16);
    writeFileSync(hostile, header);
    expect((await refusal('models.estimate', { path: hostile })).code).toBe('model_invalid');
    expect((await refusal('models.load', { path: hostile })).code).toBe('model_invalid');
    expect((await call('engine.hardware', {})).cores).toBeGreaterThanOrEqual(1);
  });
});

describe('importing a dropped file', () => {
  it('streams the file in chunks, checks it and moves it into the models folder', async () => {
    const bytes = readFileSync(streamingModelPath());
    expect(bytes.length, 'the test needs several chunks').toBeGreaterThan(2 * MAX_IMPORT_CHUNK_BYTES);
    const { finish } = await importBytes('My Model.gguf', bytes);
    const result = await finish;
    if (!result.ok) throw new Error(result.error.message);
    const model = result.value as ProcedureOutput<'models.importFinish'>;
    expect(model).toMatchObject({ fileName: 'My Model.gguf', source: 'import', inModelsFolder: true, sizeBytes: bytes.length, problem: null });
    expect(readFileSync(join(modelsDir, 'My Model.gguf')).equals(bytes)).toBe(true);
    expect(importLeftovers()).toEqual([]);
    expect(events.some((event) => event.name === 'library.changed' && (event.payload as { reason: string }).reason === 'import')).toBe(true);

    // The same name again never replaces the first one.
    const again = await (await importBytes('My Model.gguf', bytes)).finish;
    expect(again.ok && (again.value as ProcedureOutput<'models.importFinish'>).fileName).toBe('My Model (2).gguf');
    expect((await call('models.list', {})).models.map((entry) => entry.source)).toEqual(['import', 'import']);
  });

  it('refuses a hostile file with the validator\'s reason and deletes what was sent', async () => {
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(MAX_IMPORT_CHUNK_BYTES + 10, 7)]);
    const { finish } = await importBytes('report.gguf', pdf);
    const result = await finish;
    expect(result.ok).toBe(false);
    expect(!result.ok && result.error.code).toBe('model_invalid');
    expect(!result.ok && result.error.message).toMatch(/report\.gguf.*not added/);
    expect(importLeftovers()).toEqual([]);
    expect(readdirSync(modelsDir).filter((name) => name.endsWith('.gguf'))).toEqual([]);
    expect((await call('models.list', {})).models).toEqual([]);
  });

  it('refuses other files, chunks out of order or too long, and deletes a cancelled import', async () => {
    expect((await refusal('models.importBegin', { fileName: 'notes.pdf', sizeBytes: 10 })).code).toBe('model_invalid');
    const { importId } = await call('models.importBegin', { fileName: '../../escape.gguf', sizeBytes: 8 });
    expect((await refusal('models.importChunk', { importId, offset: 4, dataBase64: Buffer.from('abcd').toString('base64') })).code).toBe('invalid_input');
    expect((await refusal('models.importChunk', { importId, offset: 0, dataBase64: 'not base64!' })).code).toBe('invalid_input');
    await call('models.importChunk', { importId, offset: 0, dataBase64: Buffer.from('GGUF').toString('base64') });
    expect((await refusal('models.importFinish', { importId })).message).toMatch(/Only 4 of 8 bytes/);
    expect(importLeftovers()).toHaveLength(1);
    expect(await call('models.importCancel', { importId })).toEqual({ cancelled: true });
    expect(importLeftovers()).toEqual([]);
    expect((await refusal('models.importChunk', { importId, offset: 4, dataBase64: 'AAAA' })).code).toBe('not_found');

    const long = await call('models.importBegin', { fileName: 'short.gguf', sizeBytes: 2 });
    expect((await refusal('models.importChunk', { importId: long.importId, offset: 0, dataBase64: Buffer.from('GGUF').toString('base64') })).message).toMatch(/longer than/);
    expect(importLeftovers()).toEqual([]);
    expect(readdirSync(dataDir)).not.toContain('escape.gguf');
  });
});

describe('deleting a model', () => {
  it('deletes a model in the models folder (unloading it first) and frees the disk', async () => {
    const copy = join(modelsDir, 'tiny-copy.gguf');
    copyFileSync(tinyModelPath(), copy);
    await call('models.load', { path: copy });
    await call('models.setDefault', { path: copy });
    const size = statSync(copy).size;
    const deleted = await call('models.delete', { path: copy });
    expect(deleted.freedBytes).toBe(size);
    expect(existsSync(copy)).toBe(false);
    expect(assistant.engine.status().model).toBeNull();
    expect(assistant.models.defaultModel()).toBeNull();
    expect((await call('models.list', {})).models).toEqual([]);
  });

  it('refuses any path outside the models folder, and keeps the file', async () => {
    await call('models.openLocal', {});
    const outside = tinyModelPath();
    const error = await refusal('models.delete', { path: outside });
    expect(error.code).toBe('refused');
    expect(error.message).toMatch(/only deletes models in its own models folder/);
    expect(existsSync(outside)).toBe(true);
    expect(assistant.engine.status().model?.path, 'a refused delete unloads nothing').toBe(outside);

    // A path that leads out of the folder through "..".
    const sneaky = join(modelsDir, '..', '..', outside);
    expect((await refusal('models.delete', { path: sneaky })).code).toMatch(/refused|not_found/);
    expect(existsSync(outside)).toBe(true);
  });

  it('reveals only models the user may load', async () => {
    await call('models.openLocal', {});
    await call('models.reveal', { path: tinyModelPath() });
    expect(revealed).toEqual([tinyModelPath()]);
    expect((await refusal('models.reveal', { path: join(tmpdir(), 'x.gguf') })).code).toBe('refused');
  });
});

describe('unloading when idle', () => {
  it('unloads the model once nothing used it for the set time, and a new message loads it again', async () => {
    await call('models.openLocal', {});
    // 0.01 minutes: 600 ms.
    const unloaded = nextEvent('engine.state', (status) => status.state === 'idle' && status.model === null);
    expect(await call('models.setIdleUnload', { minutes: 0.01 })).toEqual({ minutes: 0.01 });
    await unloaded;
    expect((await call('models.list', {})).idleUnloadMinutes).toBe(0.01);

    const conversation = await call('conversations.create', {});
    const started = await call('chat.send', { conversationId: conversation.id, text: 'back again' });
    expect((await nextEvent('generation.end', (end) => end.generationId === started.generationId)).reason).toBe('done');
    await call('models.setIdleUnload', { minutes: null });
    expect(assistant.engine.status().model).not.toBeNull();
  });
});

describe('a model file deleted while it is loaded', () => {
  it('stays listed as loaded with its file marked missing, answers from memory, and after unloading and a restart the library names the file and where it was', async () => {
    const gone = join(modelsDir, 'gone.gguf');
    copyFileSync(tinyModelPath(), gone);
    const real = realpathSync(gone);
    await call('models.load', { path: gone });
    const conversation = await call('conversations.create', {});

    const noticed = nextEvent('library.changed', (change) => change.reason === 'missing');
    rmSync(gone);
    await noticed;
    const listed = (await call('models.list', {})).models.find((model) => model.path === real);
    expect(listed).toMatchObject({ fileName: 'gone.gguf', name: 'Burrow tiny test model', isLoaded: true, fileMissing: true, facts: null, inModelsFolder: true });
    expect(listed?.sizeBytes).toBe(statSync(tinyModelPath()).size);
    expect(listed?.problem).toBe(`The model file "gone.gguf" is gone: it was in ${realpathSync(modelsDir)}. It may have been deleted or moved.`);

    // The engine answers from memory until the model is unloaded.
    const started = await call('chat.send', { conversationId: conversation.id, text: 'still there?' });
    expect((await nextEvent('generation.end', (end) => end.generationId === started.generationId)).reason).toBe('done');

    // Unloaded, it is still the remembered default: listed, not loaded, still missing.
    await call('models.unload', {});
    expect((await call('models.list', {})).models.find((model) => model.path === real)).toMatchObject({ isLoaded: false, isDefault: true, fileMissing: true });
    const failed = await call('chat.send', { conversationId: conversation.id, text: 'and now?' });
    // The end may come before chat.send answers: read it from the events recorded since the start.
    const end = await vi.waitFor(() => {
      const found = events.find((event) => event.name === 'generation.end' && (event.payload as EventPayload<'generation.end'>).generationId === failed.generationId);
      if (found === undefined) throw new Error('no generation.end yet');
      return found.payload as EventPayload<'generation.end'>;
    });
    expect(end.reason).toBe('error');
    expect(end.error?.message).toContain(`"gone.gguf" is gone: it was in ${realpathSync(modelsDir)}`);

    // After a restart the same: the file and where it was, not a generic "no model".
    await assistant.dispose();
    assistant = start();
    const afterRestart = await call('models.list', {});
    expect(afterRestart.models).toHaveLength(1);
    expect(afterRestart.models[0]).toMatchObject({ path: real, name: 'gone', isDefault: true, isLoaded: false, fileMissing: true });

    // "Find it again…": the file picked takes its place as the default, and the gone one is forgotten.
    const found = await call('models.openLocal', { replaces: real });
    expect(found.status?.model?.path).toBe(realpathSync(tinyModelPath()));
    const replaced = await call('models.list', {});
    expect(replaced.models.map((model) => [model.path, model.isDefault, model.fileMissing])).toEqual([[realpathSync(tinyModelPath()), true, false]]);
  });

  it('a chosen default whose file is gone gives way to the next model loaded', async () => {
    const gone = join(modelsDir, 'gone.gguf');
    copyFileSync(tinyModelPath(), gone);
    const real = realpathSync(gone);
    await call('models.setDefault', { path: gone });
    rmSync(gone);
    expect((await call('models.list', {})).models.map((model) => [model.fileName, model.isDefault, model.fileMissing])).toEqual([['gone.gguf', true, true]]);
    await call('models.openLocal', {});
    const models = (await call('models.list', {})).models;
    expect(models.map((model) => model.path)).toEqual([realpathSync(tinyModelPath())]);
    expect(models.some((model) => model.path === real)).toBe(false);
  });
});

