/**
 * OpenAI's answer shapes for what the suite's tiny model cannot be made to do: call a tool, or
 * fail halfway through a stream. A real server on loopback and the official `openai` client,
 * with a scripted core behind the contract's client standing in for a model that does these.
 */
import OpenAI from 'openai';
import { afterEach, describe, expect, it } from 'vitest';
import { createClient } from '../../src/shared/client';
import type { EventName } from '../../src/shared/contract';
import type { Result } from '../../src/shared/errors';
import { ApiServer } from '../../src/core/api/server';
import { FakeTransport } from '../support/fake-transport';

const MODEL = { path: '/models/scripted.gguf', name: 'Scripted', sizeBytes: 1, contextSize: 256, backend: 'cpu', threads: 1 };
const KEY = 'sk-burrow-scripted-test-key';

/** A core whose answer is a script of events after generate.chat / generate.text. */
class ScriptedCore extends FakeTransport {
  script: Array<[EventName, Record<string, unknown>]> = [];
  cancelled: string[] = [];

  override answer(name: string, input: unknown): Result<unknown> {
    if (name === 'engine.status') return { ok: true, value: { state: 'ready', model: MODEL, error: null } };
    if (name === 'models.list') return { ok: true, value: { models: [], modelsFolder: '/models', canReveal: false, idleUnloadMinutes: null } };
    if (name === 'generate.cancel') {
      this.cancelled.push((input as { generationId: string }).generationId);
      return { ok: true, value: { cancelled: true } };
    }
    if (name === 'generate.chat' || name === 'generate.text') {
      setTimeout(() => {
        for (const [event, payload] of this.script) this.emit(event, { generationId: 'g1', ...payload });
      }, 5);
      return { ok: true, value: { generationId: 'g1', model: { id: 'scripted.gguf', name: 'Scripted' } } };
    }
    return { ok: false, error: { code: 'unknown_procedure', message: name } };
  }
}

let server: ApiServer | undefined;
afterEach(async () => server?.close());

async function serve(core: ScriptedCore): Promise<OpenAI> {
  server = new ApiServer('127.0.0.1', 0, { client: createClient(core), key: () => KEY, origins: () => [], saveHistory: () => false, onRequest: () => undefined, maxInFlight: 4 });
  await server.listen();
  return new OpenAI({ baseURL: `http://127.0.0.1:${server.port}/v1`, apiKey: KEY, maxRetries: 0 });
}

const stats = { evaluatedTokens: 9, promptTokens: 11, generatedTokens: 5, durationMs: 10, truncatedMessages: 0 };
const call = { id: 'call_1', name: 'get_weather', arguments: '{"city":"Oslo"}' };
const tools = [{ type: 'function' as const, function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } } }];
const ask = { model: 'burrow', messages: [{ role: 'user' as const, content: 'Weather in Oslo?' }], tools };

describe('OpenAI answer shapes', () => {
  it('tool calls, whole: message.tool_calls and finish_reason tool_calls, usage from the core\'s counts', async () => {
    const core = new ScriptedCore();
    core.script = [['generation.end', { conversationId: null, messageId: null, reason: 'done', stats, finishReason: 'tool_calls', toolCalls: [call] }]];
    const openai = await serve(core);
    const completion = await openai.chat.completions.create(ask);
    expect(completion.model).toBe('scripted.gguf');
    expect(completion.choices[0]).toMatchObject({ finish_reason: 'tool_calls', message: { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] } });
    expect(completion.usage).toEqual({ prompt_tokens: 11, completion_tokens: 5, total_tokens: 16 });
  });

  it('tool calls, streamed: the openai client assembles them from the deltas', async () => {
    const core = new ScriptedCore();
    core.script = [['generation.end', { conversationId: null, messageId: null, reason: 'done', stats, finishReason: 'tool_calls', toolCalls: [call] }]];
    const openai = await serve(core);
    const runner = openai.chat.completions.stream(ask);
    const final = await runner.finalChatCompletion();
    expect(final.choices[0]).toMatchObject({ finish_reason: 'tool_calls', message: { tool_calls: [{ id: 'call_1', function: { name: 'get_weather', arguments: '{"city":"Oslo"}' } }] } });
  });

  it('an answer that fails before any text gets the error\'s own status', async () => {
    const core = new ScriptedCore();
    core.script = [['generation.end', { conversationId: null, messageId: null, reason: 'error', error: { code: 'engine_stopped', message: 'The model process stopped.' } }]];
    const openai = await serve(core);
    await expect(openai.chat.completions.create({ model: 'burrow', messages: [{ role: 'user', content: 'hi' }] })).rejects.toMatchObject({ status: 503, code: 'engine_stopped', message: expect.stringContaining('The model process stopped.') });
  });

  it('an answer that fails mid-stream ends with an error event the client raises, not [DONE]', async () => {
    const core = new ScriptedCore();
    core.script = [
      ['generation.delta', { seq: 0, text: 'Partly ' }],
      ['generation.end', { conversationId: null, messageId: null, reason: 'error', error: { code: 'engine_error', message: 'The model failed.' } }],
    ];
    const openai = await serve(core);
    const stream = await openai.chat.completions.create({ model: 'burrow', messages: [{ role: 'user', content: 'hi' }], stream: true });
    const pieces: string[] = [];
    await expect(
      (async () => {
        for await (const chunk of stream) pieces.push(chunk.choices[0]?.delta.content ?? '');
      })(),
    ).rejects.toThrow(/The model failed/);
    expect(pieces.join('')).toBe('Partly ');
  });
});
