/**
 * The local API's answers on a real server, the real core and the suite's tiny model, through
 * the official `openai` client: chat whole and streamed, completions, a JSON schema honoured,
 * embeddings, real usage counts, history only when asked, a client abort that stops the
 * generation on the core, and 429 past the bound. The model's output is gibberish: the tests
 * assert the protocol and the plumbing, not the prose.
 */
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EventPayload } from '../../src/shared/contract';
import { rawRequest, startApiHarness, type ApiHarness } from '../support/api-server';
import { streamingModelPath } from '../support/tiny-model';

type End = EventPayload<'generation.end'>;
const endsOf = (api: ApiHarness): End[] => api.events.flatMap((event) => (event.name === 'generation.end' ? [event.payload as End] : []));

describe('local API answers', () => {
  let api: ApiHarness;
  let model: string;
  beforeAll(async () => {
    api = await startApiHarness();
    model = (await api.openai.models.list()).data[0]?.id ?? '';
  }, 60_000);
  afterAll(async () => api?.close());

  it('chat whole: one choice, the served model, and usage that matches the core\'s counts', async () => {
    const completion = await api.openai.chat.completions.create({ model: 'burrow', messages: [{ role: 'system', content: 'Be brief.' }, { role: 'user', content: 'Where is the rabbit?' }], max_tokens: 8 });
    expect(completion).toMatchObject({ object: 'chat.completion', model, choices: [{ index: 0, message: { role: 'assistant' } }] });
    expect(completion.id).toMatch(/^chatcmpl-/);
    const choice = completion.choices[0];
    expect(typeof choice?.message.content).toBe('string');
    expect(['stop', 'length']).toContain(choice?.finish_reason);
    const end = endsOf(api).find((candidate) => `chatcmpl-${candidate.generationId}` === completion.id);
    expect(end?.stats?.promptTokens).toBeGreaterThan(0);
    expect(completion.usage).toEqual({ prompt_tokens: end?.stats?.promptTokens, completion_tokens: end?.stats?.generatedTokens, total_tokens: (end?.stats?.promptTokens ?? 0) + (end?.stats?.generatedTokens ?? 0) });
    expect(completion.usage?.completion_tokens).toBeLessThanOrEqual(8);
  });

  it('max_completion_tokens ends the answer with finish_reason length', async () => {
    const completion = await api.openai.chat.completions.create({ model, messages: [{ role: 'user', content: [{ type: 'text', text: 'Tell me a long story' }] }], max_completion_tokens: 2 });
    expect(completion.choices[0]?.finish_reason).toBe('length');
    expect(completion.usage?.completion_tokens).toBe(2);
  });

  it('chat streamed: role first, the text in pieces, the finish reason, then usage when asked', async () => {
    const stream = await api.openai.chat.completions.create({ model: 'burrow', messages: [{ role: 'user', content: 'Hello' }], max_tokens: 12, stream: true, stream_options: { include_usage: true } });
    const chunks = [];
    for await (const chunk of stream) chunks.push(chunk);
    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    const text = chunks.map((chunk) => chunk.choices[0]?.delta.content ?? '').join('');
    expect(text.length).toBeGreaterThan(0);
    const finish = chunks.find((chunk) => chunk.choices[0]?.finish_reason);
    expect(['stop', 'length']).toContain(finish?.choices[0]?.finish_reason);
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage?.completion_tokens).toBeGreaterThan(0);
    expect(last?.usage?.total_tokens).toBe((last?.usage?.prompt_tokens ?? 0) + (last?.usage?.completion_tokens ?? 0));
    expect(new Set(chunks.map((chunk) => chunk.id)).size).toBe(1);
  });

  it('a stream ends with data: [DONE] on the wire', async () => {
    const response = await rawRequest(api, '/chat/completions', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model: 'burrow', messages: [{ role: 'user', content: 'Hi' }], max_tokens: 4, stream: true }) });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const body = await response.text();
    expect(body.trimEnd().endsWith('data: [DONE]')).toBe(true);
    expect(body).not.toContain('"usage"');
  });

  it('response_format json_schema: the answer parses and matches the schema', async () => {
    const schema = { type: 'object', properties: { ok: { type: 'boolean' }, mood: { enum: ['warm', 'quiet'] } }, required: ['ok', 'mood'], additionalProperties: false };
    const completion = await api.openai.chat.completions.create({
      model,
      messages: [{ role: 'user', content: 'Answer in JSON' }],
      max_tokens: 200,
      temperature: 0.8,
      seed: 5,
      response_format: { type: 'json_schema', json_schema: { name: 'mood', schema, strict: true } },
    });
    const parsed = JSON.parse(completion.choices[0]?.message.content ?? '') as { ok: unknown; mood: unknown };
    expect(typeof parsed.ok).toBe('boolean');
    expect(['warm', 'quiet']).toContain(parsed.mood);
    expect(completion.choices[0]?.finish_reason).toBe('stop');
  });

  it('a stop sequence, a seed and tools reach the model; forcing a tool it cannot call is a 400', async () => {
    const seeded = () => api.openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'Say things' }], max_tokens: 10, temperature: 1, seed: 42, stop: ['\n\n'] });
    expect((await seeded()).choices[0]?.message.content).toBe((await seeded()).choices[0]?.message.content);
    const tools = [{ type: 'function' as const, function: { name: 'get_weather', description: 'The weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
    const withTools = await api.openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'Weather in Oslo?' }], max_tokens: 3, tools });
    expect(withTools.choices[0]?.finish_reason).toMatch(/^(stop|length|tool_calls)$/);
    const forced = api.openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'Weather?' }], tools, tool_choice: 'required' });
    await expect(forced).rejects.toMatchObject({ status: 400, type: 'invalid_request_error' });
  });

  it('completions: whole and streamed, with usage', async () => {
    const whole = await api.openai.completions.create({ model, prompt: 'Once upon a time', max_tokens: 6 });
    expect(whole).toMatchObject({ object: 'text_completion', model, choices: [{ index: 0 }] });
    expect(whole.id).toMatch(/^cmpl-/);
    expect(whole.usage?.completion_tokens).toBeGreaterThan(0);
    expect(whole.usage?.completion_tokens).toBeLessThanOrEqual(6);
    const stream = await api.openai.completions.create({ model, prompt: 'Once upon a time', max_tokens: 6, stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.text ?? '';
    expect(text.length).toBeGreaterThan(0);
  });

  it('embeddings: one vector per input (base64 as the openai client asks, or floats), with usage', async () => {
    const result = await api.openai.embeddings.create({ model, input: ['warm moss', 'warm moss', 'deep river stone'] });
    expect(result.data.map((entry) => entry.index)).toEqual([0, 1, 2]);
    expect(result.data[0]?.embedding.length).toBeGreaterThan(0);
    expect(result.data[1]?.embedding).toEqual(result.data[0]?.embedding);
    expect(result.data[2]?.embedding).not.toEqual(result.data[0]?.embedding);
    expect(result.usage.prompt_tokens).toBeGreaterThan(0);
    const floats = await api.openai.embeddings.create({ model: 'burrow', input: 'warm moss', encoding_format: 'float' });
    for (const [index, value] of (floats.data[0]?.embedding ?? []).entries()) expect(value).toBeCloseTo(result.data[0]?.embedding[index] ?? NaN, 5);
  });

  it('saves API conversations to the history only when the user turned that on', async () => {
    const before = (await api.client.call('conversations.list', {})).length;
    await api.openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'Not kept' }], max_tokens: 2 });
    expect(await api.client.call('conversations.list', {})).toHaveLength(before);
    await api.client.call('api.configure', { saveHistory: true });
    try {
      await api.openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'Kept please' }], max_tokens: 2 });
      const listed = await api.client.call('conversations.list', {});
      expect(listed).toHaveLength(before + 1);
      expect(listed.map((conversation) => conversation.title)).toContain('API: Kept please');
    } finally {
      await api.client.call('api.configure', { saveHistory: false });
    }
  });

  it('offline mode does not affect the local server: it answers, and nothing goes out', async () => {
    await api.client.call('settings.set', { patch: { offlineMode: true } });
    try {
      const completion = await api.openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'Still here?' }], max_tokens: 2 });
      expect(completion.choices).toHaveLength(1);
      expect(await api.client.call('network.log', {})).toEqual([]);
    } finally {
      await api.client.call('settings.set', { patch: { offlineMode: false } });
    }
  });

  it('the request log carries the tokens a request used', async () => {
    const completion = await api.openai.chat.completions.create({ model, messages: [{ role: 'user', content: 'Count me' }], max_tokens: 3 });
    const entry = (await api.client.call('api.requests', {})).at(-1);
    expect(entry).toMatchObject({ method: 'POST', endpoint: '/v1/chat/completions', status: 200, tokens: completion.usage?.total_tokens });
    expect(entry?.client).toMatch(/OpenAI\/JS/);
  });
});

describe('local API: disconnects and the bound', () => {
  let api: ApiHarness;
  beforeAll(async () => {
    api = await startApiHarness({ host: { pickModelFile: () => Promise.resolve(streamingModelPath()), grantedModels: [streamingModelPath()], apiMaxInFlight: 1 }, modelPath: streamingModelPath() });
  }, 60_000);
  afterAll(async () => api?.close());

  const longAnswer = (signal?: AbortSignal) =>
    api.openai.chat.completions.create({ model: 'burrow', messages: [{ role: 'user', content: 'Go on and on' }], max_tokens: 100_000, stream: true }, { signal });

  it('a client that disconnects cancels its generation at once', async () => {
    const controller = new AbortController();
    const stream = await longAnswer(controller.signal);
    let id = '';
    let abortedAt = 0;
    // The openai client ends the iteration quietly on its own abort.
    for await (const chunk of stream) {
      id = chunk.id;
      abortedAt = Date.now();
      controller.abort();
    }
    expect(id).toMatch(/^chatcmpl-/);
    await expect.poll(() => endsOf(api).find((end) => `chatcmpl-${end.generationId}` === id)?.reason, { timeout: 5000, interval: 20 }).toBe('cancelled');
    expect(Date.now() - abortedAt).toBeLessThan(2000);
    await expect.poll(async () => (await api.client.call('api.requests', {})).at(-1)?.status).toBe(499);
  }, 30_000);

  it('a client waiting for a whole answer that disconnects cancels it too', async () => {
    const known = new Set(endsOf(api).map((end) => end.generationId));
    const deltasBefore = api.events.filter((event) => event.name === 'generation.delta').length;
    const controller = new AbortController();
    const request = rawRequest(api, '/chat/completions', {
      method: 'POST',
      signal: controller.signal,
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'burrow', messages: [{ role: 'user', content: 'Go on and on' }], max_tokens: 100_000 }),
    });
    const failed = expect(request).rejects.toThrow();
    // The answer is being written: now the client goes away.
    await expect.poll(() => api.events.filter((event) => event.name === 'generation.delta').length, { timeout: 10_000, interval: 10 }).toBeGreaterThan(deltasBefore);
    controller.abort();
    await failed;
    const abortedAt = Date.now();
    await expect.poll(() => endsOf(api).find((end) => !known.has(end.generationId))?.reason, { timeout: 5000, interval: 20 }).toBe('cancelled');
    expect(Date.now() - abortedAt).toBeLessThan(2000);
  }, 30_000);

  it('past the bound the server answers 429 with Retry-After, and takes requests again after', async () => {
    const controller = new AbortController();
    const stream = await longAnswer(controller.signal);
    const iterator = stream[Symbol.asyncIterator]();
    await iterator.next();
    const refused = await rawRequest(api, '/chat/completions', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ model: 'burrow', messages: [{ role: 'user', content: 'me too' }], max_tokens: 2 }) });
    expect(refused.status).toBe(429);
    expect(refused.headers.get('retry-after')).toMatch(/^\d+$/);
    expect(await refused.json()).toMatchObject({ error: { type: 'rate_limit_error', code: 'rate_limit_exceeded' } });
    const viaClient = new OpenAI({ baseURL: api.url, apiKey: api.key, maxRetries: 0 });
    await expect(viaClient.embeddings.create({ model: 'burrow', input: 'x' })).rejects.toMatchObject({ status: 429 });
    const gone = async () => (await api.client.call('api.requests', {})).filter((entry) => entry.status === 499).length;
    const goneBefore = await gone();
    controller.abort();
    // Logged when its connection closed, which is also when it stopped counting against the bound.
    await expect.poll(gone).toBe(goneBefore + 1);
    const after = await api.openai.chat.completions.create({ model: 'burrow', messages: [{ role: 'user', content: 'now?' }], max_tokens: 2 });
    expect(after.choices).toHaveLength(1);
  }, 30_000);

  it('turning the server off cancels the answers it was writing', async () => {
    const stream = await longAnswer();
    const iterator = stream[Symbol.asyncIterator]();
    const first = await iterator.next();
    const id = first.done === true ? '' : first.value.id;
    const off = await api.client.call('api.configure', { enabled: false });
    expect(off.state).toBe('off');
    await expect.poll(() => endsOf(api).find((end) => `chatcmpl-${end.generationId}` === id)?.reason, { timeout: 5000, interval: 20 }).toBe('cancelled');
    // The client's stream ends (cut off, not finished): it never hangs.
    const rest = async (): Promise<void> => {
      while ((await iterator.next()).done !== true);
    };
    await rest().catch(() => undefined);
    expect((await api.client.call('api.configure', { enabled: true })).state).toBe('on');
  }, 30_000);
});
