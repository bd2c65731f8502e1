/**
 * generate.*: answers that belong to no conversation (what the local API asks the core for),
 * through the typed client, the real router, real SQLite and the real engine process running
 * the suite's tiny GGUF. Its output is gibberish, so the tests assert what the options and
 * the plumbing guarantee: stop texts, seeds, grammars, token counts, cancel, the bound,
 * tool-call history, embeddings, and that nothing is saved unless asked.
 */
import { existsSync, mkdtempSync, readdirSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getLlama, resolveChatWrapper, type ChatHistoryItem } from 'node-llama-cpp';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '../../src/shared/client';
import type { DirectMessage, DirectOptions, EventPayload } from '../../src/shared/contract';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import { stateDir } from '../../src/core/store/paths';
import type { EngineSettings } from '../../src/core/engine/types';
import { streamingModelPath, tinyModelPath } from '../support/tiny-model';
import { clientOf } from '../support/client';

let dataDir: string;
let assistant: Assistant;
let client: Client;

function start(modelPath = tinyModelPath(), settings: EngineSettings = {}): void {
  assistant = createAssistant({ dataDir, spawnEngine: spawnNodeEngine(), engineSettings: { maxTokens: 40, seed: 1, ...settings }, pickModelFile: () => Promise.resolve(modelPath) });
  client = clientOf(assistant);
}

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'burrow-generate-'));
});

afterEach(async () => {
  await assistant.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

async function openModel(): Promise<void> {
  expect((await client.call('models.openLocal', {})).status?.state).toBe('ready');
}

interface Answer {
  text: string;
  end: EventPayload<'generation.end'>;
}

async function chat(messages: DirectMessage[], options: DirectOptions = {}, saveAs?: { title: string }): Promise<Answer> {
  const started = await client.call('generate.chat', { messages, options, ...(saveAs === undefined ? {} : { saveAs }) });
  let text = '';
  const end = await client.followGeneration(started.generationId, { onDelta: (_delta, all) => (text = all) });
  return { text, end };
}

async function complete(prompt: string, options: Omit<DirectOptions, 'tools' | 'toolChoice'> = {}): Promise<Answer> {
  const started = await client.call('generate.text', { prompt, options });
  let text = '';
  const end = await client.followGeneration(started.generationId, { onDelta: (_delta, all) => (text = all) });
  return { text, end };
}

const user = (text: string): DirectMessage => ({ role: 'user', text });

/** The model's templated prompt counted with node-llama-cpp in this process: what promptTokens must equal. */
let llamaForCount: Awaited<ReturnType<typeof getLlama>> | null = null;
async function templatedTokens(chatHistory: ChatHistoryItem[]): Promise<number> {
  llamaForCount ??= await getLlama({ gpu: false });
  const model = await llamaForCount.loadModel({ modelPath: tinyModelPath() });
  try {
    return resolveChatWrapper(model).generateContextState({ chatHistory }).contextText.tokenize(model.tokenizer).length;
  } finally {
    await model.dispose();
  }
}
afterAll(async () => {
  await llamaForCount?.dispose();
});

describe('generate.chat', () => {
  beforeEach(async () => {
    start();
    await openModel();
  });

  it('streams deltas that add up to the answer, names the model, and saves nothing', async () => {
    const started = await client.call('generate.chat', { messages: [user('Hello there')], options: { temperature: 0 } });
    expect(started.model).toEqual({ id: expect.stringMatching(/\.gguf$/), name: 'Burrow tiny test model' });
    let streamed = '';
    let deltas = 0;
    const end = await client.followGeneration(started.generationId, {
      onDelta: (_delta, all) => {
        deltas++;
        streamed = all;
      },
    });
    expect(end).toMatchObject({ conversationId: null, messageId: null, reason: 'done' });
    expect(deltas).toBeGreaterThan(0);
    expect(streamed.length).toBeGreaterThan(0);
    expect(assistant.conversations.list()).toHaveLength(0);
  });

  it('maxTokens ends with finishReason length and real token counts', async () => {
    const { end } = await chat([{ role: 'system', text: 'Be brief.' }, user('Tell me about moss')], { maxTokens: 7, temperature: 0 });
    expect(end.finishReason).toBe('length');
    expect(end.stats?.generatedTokens).toBe(7);
    const expected = await templatedTokens([{ type: 'system', text: 'Be brief.' }, { type: 'user', text: 'Tell me about moss' }, { type: 'model', response: [] }]);
    expect(end.stats?.promptTokens).toBe(expected);
  });

  it('several system messages are joined in order', async () => {
    const { end } = await chat([{ role: 'system', text: 'One.' }, { role: 'system', text: 'Two.' }, user('Hi')], { maxTokens: 2 });
    const expected = await templatedTokens([{ type: 'system', text: 'One.\n\nTwo.' }, { type: 'user', text: 'Hi' }, { type: 'model', response: [] }]);
    expect(end.stats?.promptTokens).toBe(expected);
  });

  it('a request that repeats the previous one plus more reuses its KV cache', async () => {
    const first = await chat([user('The rabbit lives in a burrow')], { maxTokens: 5, temperature: 0 });
    const second = await chat([user('The rabbit lives in a burrow'), { role: 'assistant', text: first.text }, user('And then?')], { maxTokens: 5, temperature: 0 });
    const stats = second.end.stats!;
    expect(stats.promptTokens).toBeGreaterThan(first.end.stats!.promptTokens!);
    // Only the new tail is evaluated: far fewer tokens than the whole prompt.
    expect(stats.evaluatedTokens).toBeLessThan(stats.promptTokens! - 5);
  });

  it('a stop text ends the answer before it, and is not in it', async () => {
    const messages = [user('Say something')];
    const free = await chat(messages, { maxTokens: 30, temperature: 0 });
    const words = free.text.trim().split(/\s+/);
    expect(words.length).toBeGreaterThan(3);
    const stop = words[2]!;
    const cut = await chat(messages, { maxTokens: 30, temperature: 0, stop: [stop] });
    expect(cut.end.finishReason).toBe('stop');
    expect(cut.text).toBe(free.text.slice(0, free.text.indexOf(stop)));
    expect(cut.text).not.toContain(stop);
  });

  it('the same seed at temperature > 0 gives the same text; other seeds vary it', async () => {
    const messages = [user('Sing')];
    const a = await chat(messages, { maxTokens: 20, temperature: 1.2, seed: 99 });
    const b = await chat(messages, { maxTokens: 20, temperature: 1.2, seed: 99 });
    expect(b.text).toBe(a.text);
    const others = new Set<string>();
    for (const seed of [1, 2, 3]) others.add((await chat(messages, { maxTokens: 20, temperature: 1.2, seed })).text);
    others.add(a.text);
    expect(others.size).toBeGreaterThan(1);
  });

  it('json_schema: the answer parses and matches the schema', async () => {
    const schema = { type: 'object', properties: { ok: { type: 'boolean' }, mood: { enum: ['warm', 'quiet'] } }, required: ['ok', 'mood'], additionalProperties: false };
    const { text, end } = await chat([user('Answer in JSON')], { maxTokens: 200, temperature: 0.8, seed: 5, responseFormat: { type: 'json_schema', schema } });
    expect(end.reason).toBe('done');
    expect(end.finishReason).toBe('stop');
    const parsed = JSON.parse(text) as { ok: unknown; mood: unknown };
    expect(typeof parsed.ok).toBe('boolean');
    expect(['warm', 'quiet']).toContain(parsed.mood);
    expect(Object.keys(parsed).sort()).toEqual(['mood', 'ok']);
  });

  it('json_object: the grammar holds the answer to a JSON object', async () => {
    // Any object allows a key of any length, and the random-weights test model never closes
    // its first key (it writes words until maxTokens), so the whole answer cannot parse here;
    // what the grammar guarantees is visible anyway: an object opened and a string key begun,
    // where the same request without the grammar writes plain words.
    const { text, end } = await chat([user('JSON please')], { maxTokens: 30, temperature: 0, responseFormat: { type: 'json_object' } });
    expect(end.finishReason).toBe('length');
    expect(text).toMatch(/^\{\s*"/);
    const plain = await chat([user('JSON please')], { maxTokens: 30, temperature: 0 });
    expect(plain.text).not.toMatch(/^\s*\{/);
  });

  it('a schema the grammar cannot take is invalid_input, naming why', async () => {
    const refusal = async (schema: Record<string, unknown>): Promise<unknown> => client.invoke('generate.chat', { messages: [user('x')], options: { responseFormat: { type: 'json_schema', schema } } });
    expect(await refusal({ type: 'no-such-type' })).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringContaining('cannot enforce this JSON schema') } });
    expect(await refusal({ type: 'object', properties: { code: { type: 'string', pattern: '^[a-z]+$' } } })).toMatchObject({
      ok: false,
      error: { code: 'invalid_input', message: expect.stringContaining('the schema.properties.code uses "pattern"') },
    });
    expect(await refusal({ anyOf: [{ type: 'string' }] })).toMatchObject({ ok: false, error: { message: expect.stringContaining('anyOf') } });
  });

  it('the last message must be the user’s or a tool result', async () => {
    const result = await client.invoke('generate.chat', { messages: [user('Hi'), { role: 'assistant', text: 'Hello' }], options: {} });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringContaining('last message must be the user') } });
  });

  it('tools: forcing a call is refused plainly; tool history is accepted; tools reach the prompt', async () => {
    const tools = [{ name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } }];
    for (const toolChoice of ['required', { name: 'get_weather' }] as const) {
      const refused = await client.invoke('generate.chat', { messages: [user('Weather?')], options: { tools, toolChoice } });
      expect(refused).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringContaining('cannot force the model to call a tool') } });
    }
    const without = await chat([user('Weather in Oslo?')], { maxTokens: 3 });
    const withTools = await chat([user('Weather in Oslo?')], { maxTokens: 3, tools });
    expect(withTools.end.reason).toBe('done');
    // The functions' documentation is in the prompt the model saw.
    expect(withTools.end.stats!.promptTokens!).toBeGreaterThan(without.end.stats!.promptTokens! + 20);
    const none = await chat([user('Weather in Oslo?')], { maxTokens: 3, tools, toolChoice: 'none' });
    expect(none.end.stats!.promptTokens).toBe(without.end.stats!.promptTokens);

    const history: DirectMessage[] = [
      user('Weather in Oslo?'),
      { role: 'assistant', text: '', toolCalls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' }] },
      { role: 'tool', toolCallId: 'call_1', text: '{"sky":"rain"}' },
    ];
    const continued = await chat(history, { maxTokens: 3, tools });
    expect(continued.end).toMatchObject({ reason: 'done' });
    expect(continued.end.stats!.promptTokens!).toBeGreaterThan(withTools.end.stats!.promptTokens!);

    const orphan = await client.invoke('generate.chat', { messages: [user('Hi'), { role: 'tool', toolCallId: 'nope', text: 'x' }], options: {} });
    expect(orphan).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringContaining('"nope"') } });
    const badArgs = await client.invoke('generate.chat', {
      messages: [user('Hi'), { role: 'assistant', text: '', toolCalls: [{ id: 'c', name: 'get_weather', arguments: '{oops' }] }, { role: 'tool', toolCallId: 'c', text: 'x' }],
      options: {},
    });
    expect(badArgs).toMatchObject({ ok: false, error: { code: 'invalid_input', message: expect.stringContaining('not valid JSON') } });
  });

  it('saveAs saves the exchange as a new conversation; without it nothing is saved', async () => {
    const changed: string[] = [];
    assistant.subscribe((name, payload) => {
      if (name === 'conversations.changed') changed.push((payload as { id: string }).id);
    });
    await chat([user('Not saved')], { maxTokens: 4 });
    expect(assistant.conversations.list()).toHaveLength(0);
    const { text } = await chat([{ role: 'system', text: 'Be kind.' }, user('First'), { role: 'assistant', text: 'Reply' }, user('Second')], { maxTokens: 6 }, { title: 'From the API' });
    const [conversation] = assistant.conversations.list();
    expect(conversation?.title).toBe('From the API');
    expect(changed).toContain(conversation!.id);
    const saved = assistant.conversations.get(conversation!.id).messages.map((message) => [message.role, message.content]);
    expect(saved).toEqual([
      ['user', 'First'],
      ['assistant', 'Reply'],
      ['user', 'Second'],
      ['assistant', text],
    ]);
    expect(assistant.conversations.settings(conversation!.id).systemPrompt).toBe('Be kind.');
  });

  it('writes no saved evaluation state for API answers', async () => {
    await chat([user('Private question')], { maxTokens: 5 });
    await chat([user('Private question'), { role: 'assistant', text: 'x' }, user('More')], { maxTokens: 5 });
    // Past the engine's idle save (1.5 s after an answer).
    await new Promise((resolve) => setTimeout(resolve, 2500));
    const dir = stateDir(dataDir);
    expect(existsSync(dir) ? readdirSync(dir, { recursive: true }).filter((name) => !String(name).startsWith('.')) : []).toEqual([]);
  });
});

describe('chat answers carry the same counts', () => {
  it('a conversation’s answer reports finishReason and promptTokens', async () => {
    start();
    await openModel();
    const conversation = await client.call('conversations.create', {});
    const started = await client.call('chat.send', { conversationId: conversation.id, text: 'Tell me about moss' });
    const end = await client.followGeneration(started.generationId);
    // The engine settings' maxTokens (40) runs out on the gibberish model, which rarely says its end token.
    expect(end.finishReason).toBe(end.stats?.generatedTokens === 40 ? 'length' : 'stop');
    expect(end.stats?.promptTokens).toBe(await templatedTokens([{ type: 'user', text: 'Tell me about moss' }, { type: 'model', response: [] }]));
  });
});

describe('one context sequence shared', () => {
  it('API answers and a conversation take turns on a context with a single sequence', async () => {
    start(tinyModelPath(), { maxSessions: 1 });
    await openModel();
    expect((await chat([user('First')], { maxTokens: 3 })).end.reason).toBe('done');
    const conversation = await client.call('conversations.create', {});
    const started = await client.call('chat.send', { conversationId: conversation.id, text: 'Between' });
    expect((await client.followGeneration(started.generationId)).reason).toBe('done');
    expect((await chat([user('Again')], { maxTokens: 3 })).end.reason).toBe('done');
    const again = await client.call('chat.send', { conversationId: conversation.id, text: 'And again' });
    expect((await client.followGeneration(again.generationId)).reason).toBe('done');
  });
});

describe('generate.text', () => {
  beforeEach(async () => {
    start();
    await openModel();
  });

  it('continues raw text with real counts, and honours stop and maxTokens', async () => {
    const free = await complete('The rabbit', { maxTokens: 12, temperature: 0 });
    expect(free.end).toMatchObject({ reason: 'done', conversationId: null, finishReason: 'length' });
    expect(free.end.stats?.generatedTokens).toBe(12);
    expect(free.end.stats?.promptTokens).toBeGreaterThan(1);
    const words = free.text.trim().split(/\s+/);
    const stop = words[1]!;
    const cut = await complete('The rabbit', { maxTokens: 12, temperature: 0, stop: [stop] });
    expect(cut.end.finishReason).toBe('stop');
    expect(cut.text).toBe(free.text.slice(0, free.text.indexOf(stop)));
  });
});

describe('cancel and the bound', () => {
  beforeEach(async () => {
    start(streamingModelPath());
    await openModel();
  });

  it('generate.cancel stops an answer mid-stream', async () => {
    const started = await client.call('generate.chat', { messages: [user('Go on and on')], options: { maxTokens: 100_000 } });
    let cancelledAt = 0;
    const end = await client.followGeneration(started.generationId, {
      onDelta: () => {
        if (cancelledAt === 0) {
          cancelledAt = Date.now();
          void client.call('generate.cancel', { generationId: started.generationId });
        }
      },
    });
    expect(end.reason).toBe('cancelled');
    expect(Date.now() - cancelledAt).toBeLessThan(2000);
    expect(await client.call('generate.cancel', { generationId: started.generationId })).toEqual({ cancelled: false });
  }, 30_000);

  it('past four running or queued answers, a fifth is busy', async () => {
    const starts = await Promise.all(Array.from({ length: 6 }, () => client.invoke('generate.text', { prompt: 'Once', options: { maxTokens: 100_000 } })));
    const accepted = starts.flatMap((result) => (result.ok ? [result.value] : []));
    expect(accepted).toHaveLength(4);
    for (const refused of starts.filter((result) => !result.ok)) expect(refused).toMatchObject({ ok: false, error: { code: 'busy' } });
    const ends = accepted.map((started) => client.followGeneration(started.generationId));
    for (const started of accepted) await client.call('generate.cancel', { generationId: started.generationId });
    for (const end of await Promise.all(ends)) expect(end.reason).toBe('cancelled');
    expect(await client.invoke('generate.text', { prompt: 'Again', options: { maxTokens: 2 } })).toMatchObject({ ok: true });
  }, 30_000);
});

describe('generate.embed', () => {
  it('gives vectors of the model’s embedding size, the same for the same text', async () => {
    start();
    expect(await client.invoke('generate.embed', { texts: ['x'] })).toMatchObject({ ok: false, error: { code: 'no_model' } });
    await openModel();
    const result = await client.call('generate.embed', { texts: ['warm moss', 'warm moss', 'deep river stone'] });
    expect(result.model.id).toMatch(/\.gguf$/);
    expect(result.vectors).toHaveLength(3);
    // The tiny model's embedding width (TinyModelOptions.dims).
    for (const vector of result.vectors) expect(vector).toHaveLength(32);
    expect(result.vectors[1]).toEqual(result.vectors[0]);
    expect(result.vectors[2]).not.toEqual(result.vectors[0]);
    expect(result.promptTokens).toBeGreaterThanOrEqual(7);
  });

  it('embeds with a library model file, and refuses one never handed over', async () => {
    start();
    await openModel();
    const other = streamingModelPath();
    expect(await client.invoke('generate.embed', { texts: ['a'], modelPath: other })).toMatchObject({ ok: false, error: { code: 'refused' } });
    const fromFile = await client.call('generate.embed', { texts: ['a'], modelPath: tinyModelPath() });
    expect(fromFile.vectors[0]).toHaveLength(32);
    expect((await client.call('engine.status', {})).model?.path).toBe(realpathSync(tinyModelPath()));
  });
});
