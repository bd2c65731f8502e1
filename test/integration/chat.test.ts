/**
 * The chat path through the real router, real SQLite and the real engine process running the
 * suite's own tiny GGUF: what the UI sees (events) and what is saved (rows).
 */
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '../../src/shared/client';
import type { EventName, EventPayload } from '../../src/shared/contract';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import type { EngineSettings } from '../../src/core/engine/types';
import { tinyModelPath } from '../support/tiny-model';
import { clientOf } from '../support/client';

let dataDir: string;
let assistant: Assistant;
let events: Array<{ name: EventName; payload: unknown }>;

function start(settings: EngineSettings = { maxTokens: 200, seed: 1 }): Assistant {
  const created = createAssistant({ dataDir, spawnEngine: spawnNodeEngine(), engineSettings: settings, pickModelFile: () => Promise.resolve(tinyModelPath()) });
  created.subscribe((name, payload) => events.push({ name, payload }));
  return created;
}

const call: Client['call'] = (name, input) => clientOf(assistant).call(name, input);

function waitForEnd(generationId: string): Promise<EventPayload<'generation.end'>> {
  return new Promise((resolve) => {
    const found = (): EventPayload<'generation.end'> | undefined =>
      events.find((event) => event.name === 'generation.end' && (event.payload as EventPayload<'generation.end'>).generationId === generationId)?.payload as EventPayload<'generation.end'> | undefined;
    const already = found();
    if (already) return resolve(already);
    const unsubscribe = assistant.subscribe(() => {
      const end = found();
      if (end) {
        unsubscribe();
        resolve(end);
      }
    });
  });
}

function deltasOf(generationId: string): Array<EventPayload<'generation.delta'>> {
  return events.filter((event) => event.name === 'generation.delta').map((event) => event.payload as EventPayload<'generation.delta'>).filter((delta) => delta.generationId === generationId);
}

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'burrow-chat-'));
  events = [];
  assistant = start();
});

afterEach(async () => {
  await assistant.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('chat', () => {
  it('refuses to send before any model was chosen, and saves nothing', async () => {
    const conversation = await call('conversations.create', {});
    const result = await assistant.router.call('chat.send', { conversationId: conversation.id, text: 'hello' });
    expect(result).toMatchObject({ ok: false, error: { code: 'no_model' } });
    expect(assistant.conversations.get(conversation.id).messages).toEqual([]);
  });

  it('saves the question first, streams the answer in ordered batches, saves the answer, titles the conversation', async () => {
    const loaded = await call('models.openLocal', {});
    expect(loaded.status).toMatchObject({ state: 'ready', model: { name: expect.any(String) } });
    const conversation = await call('conversations.create', {});
    const sent = await call('chat.send', { conversationId: conversation.id, text: 'Where do rabbits live?' });

    // Returned at once: the question is already on disk, the answer is a streaming placeholder.
    const atOnce = assistant.conversations.get(conversation.id);
    expect(atOnce.messages.map((message) => [message.role, message.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'streaming'],
    ]);
    expect(atOnce.conversation.title).toBe('Where do rabbits live?');

    const end = await waitForEnd(sent.generationId);
    expect(end).toMatchObject({ reason: 'done', conversationId: conversation.id, messageId: sent.assistantMessage.id });
    expect(end.stats?.generatedTokens).toBeGreaterThan(0);

    const deltas = deltasOf(sent.generationId);
    expect(deltas.length).toBeGreaterThan(0);
    expect(deltas.map((delta) => delta.seq)).toEqual(deltas.map((_, index) => index));
    const endIndex = events.findIndex((event) => event.name === 'generation.end');
    const lastDeltaIndex = events.findLastIndex((event) => event.name === 'generation.delta');
    expect(lastDeltaIndex).toBeLessThan(endIndex);

    const saved = assistant.conversations.getMessage(sent.assistantMessage.id);
    expect(saved.status).toBe('complete');
    expect(saved.content.length).toBeGreaterThan(0);
    expect(deltas.map((delta) => delta.text).join('').trim()).toBe(saved.content.trim());
  });

  it('batches deltas to at most about one per animation frame', async () => {
    await call('models.openLocal', {});
    const conversation = await call('conversations.create', {});
    const startedAt = Date.now();
    const sent = await call('chat.send', { conversationId: conversation.id, text: 'Talk for a while' });
    const end = await waitForEnd(sent.generationId);
    const elapsed = Date.now() - startedAt;
    const deltas = deltasOf(sent.generationId);
    expect(end.stats!.generatedTokens).toBeGreaterThan(deltas.length);
    expect(deltas.length).toBeLessThanOrEqual(Math.ceil(elapsed / 16) + 2);
  });

  it('cancel stops the answer and keeps its text marked as cancelled; a second send while answering is refused', async () => {
    assistant = await restartWith({ maxTokens: 100_000, seed: 2 });
    await call('models.openLocal', {});
    const conversation = await call('conversations.create', {});
    const sent = await call('chat.send', { conversationId: conversation.id, text: 'Go on and on' });
    const busy = await assistant.router.call('chat.send', { conversationId: conversation.id, text: 'and another' });
    expect(busy).toMatchObject({ ok: false, error: { code: 'busy' } });

    await new Promise<void>((resolve) => {
      const unsubscribe = assistant.subscribe((...[name]) => {
        if (name === 'generation.delta') {
          unsubscribe();
          resolve();
        }
      });
    });
    expect(await call('chat.cancel', { generationId: sent.generationId })).toEqual({ cancelled: true });
    const end = await waitForEnd(sent.generationId);
    expect(end.reason).toBe('cancelled');
    const saved = assistant.conversations.getMessage(sent.assistantMessage.id);
    expect(saved.status).toBe('cancelled');
    expect(saved.content.length).toBeGreaterThan(0);
    expect(assistant.conversations.get(conversation.id).messages).toHaveLength(2);
    expect(await call('chat.cancel', { generationId: sent.generationId })).toEqual({ cancelled: false });
  });

  it('quitting during an answer keeps its text, marked as stopped, and closes within the 5 s the app allows', async () => {
    assistant = await restartWith({ maxTokens: 100_000, seed: 3 });
    await call('models.openLocal', {});
    const conversation = await call('conversations.create', {});
    const sent = await call('chat.send', { conversationId: conversation.id, text: 'Go on and on' });
    let streamed = '';
    await new Promise<void>((resolve) => {
      const unsubscribe = assistant.subscribe((name, payload) => {
        if (name !== 'generation.delta') return;
        streamed += (payload as EventPayload<'generation.delta'>).text;
        if (streamed.length > 20) {
          unsubscribe();
          resolve();
        }
      });
    });
    // What the app's before-quit does (src/main/index.ts): dispose, raced against 5 s.
    const startedAt = performance.now();
    await assistant.dispose();
    expect(performance.now() - startedAt).toBeLessThan(5000);

    events = [];
    assistant = start();
    const saved = assistant.conversations.getMessage(sent.assistantMessage.id);
    expect(saved.status).toBe('cancelled');
    expect(saved.content.length).toBeGreaterThanOrEqual(streamed.trim().length);
    expect(saved.content.startsWith(streamed.trim())).toBe(true);
  });

  it('a follow-up turn reuses the conversation\'s KV cache', async () => {
    await call('models.openLocal', {});
    const conversation = await call('conversations.create', {});
    const first = await call('chat.send', { conversationId: conversation.id, text: 'First question about the warm burrow' });
    const firstEnd = await waitForEnd(first.generationId);
    const second = await call('chat.send', { conversationId: conversation.id, text: 'And then?' });
    const secondEnd = await waitForEnd(second.generationId);
    const historyTokens = firstEnd.stats!.evaluatedTokens + firstEnd.stats!.generatedTokens;
    // Only the new question (and the template around it) is evaluated, not the whole history again.
    expect(secondEnd.stats!.evaluatedTokens).toBeLessThan(historyTokens);
  });

  it("saves a conversation's evaluated state once idle; deleting the conversation deletes it, and Clear empties the folder", async () => {
    await call('models.openLocal', {});
    const stateFiles = (): string[] => (existsSync(join(dataDir, 'state')) ? readdirSync(join(dataDir, 'state')).filter((name) => name.endsWith('.state')) : []);
    const send = async (text: string): Promise<string> => {
      const conversation = await call('conversations.create', {});
      await waitForEnd((await call('chat.send', { conversationId: conversation.id, text })).generationId);
      return conversation.id;
    };
    const first = await send('What do rabbits eat in winter?');
    // Saved in the quiet moment after the answer (the engine waits 1.5 s), without any unload.
    await expect.poll(() => stateFiles().length, { timeout: 10_000 }).toBe(1);
    expect((await call('settings.dataFolder', {})).savedStateBytes).toBeGreaterThan(0);

    await call('conversations.delete', { id: first });
    expect(stateFiles()).toHaveLength(0);
    expect((await call('settings.dataFolder', {})).savedStateBytes).toBe(0);

    await send('And in summer?');
    await expect.poll(() => stateFiles().length, { timeout: 10_000 }).toBe(1);
    const cleared = await call('settings.clearSavedState', {});
    expect(cleared.savedStateBytes).toBe(0);
    expect(stateFiles()).toHaveLength(0);
  });

  it("chat.prepare brings an opened conversation's saved state back before its next message; it loads no model and steps aside for running answers", async () => {
    await call('models.openLocal', {});
    const conversation = await call('conversations.create', {});
    const empty = await call('conversations.create', {});
    await waitForEnd((await call('chat.send', { conversationId: conversation.id, text: 'What do rabbits eat in winter?' })).generationId);
    const stateDir = join(dataDir, 'state');
    await expect.poll(() => existsSync(stateDir) && readdirSync(stateDir).some((name) => name.endsWith('.state')), { timeout: 10_000 }).toBe(true);
    const kept = await call('chat.prepare', { conversationId: conversation.id });
    expect(kept.outcome).toBe('kept');

    assistant = await restartWith({ maxTokens: 200, seed: 1 });
    // Started again: the last model loads in the background; until it is in, there is nothing to prepare with.
    await expect.poll(async () => (await call('engine.status', {})).state, { timeout: 30_000 }).toBe('ready');
    const restored = await call('chat.prepare', { conversationId: conversation.id });
    expect(restored.outcome).toBe('restored');
    expect(restored.tokens).toBeGreaterThan(kept.tokens / 2);
    expect(restored.tokens).toBeLessThanOrEqual(kept.tokens);
    expect((await call('chat.prepare', { conversationId: conversation.id })).outcome).toBe('kept');
    expect(await call('chat.prepare', { conversationId: empty.id })).toEqual({ outcome: 'skipped', tokens: 0 });

    // An answer running (here in another conversation) comes first.
    const other = await call('conversations.create', {});
    const running = await call('chat.send', { conversationId: other.id, text: 'Tell me a long story about a burrow.' });
    expect(await call('chat.prepare', { conversationId: conversation.id })).toEqual({ outcome: 'skipped', tokens: 0 });
    await waitForEnd(running.generationId);

    // Nothing loaded: skipped, and still nothing loaded.
    await call('models.unload', {});
    expect(await call('chat.prepare', { conversationId: conversation.id })).toEqual({ outcome: 'skipped', tokens: 0 });
    expect((await call('engine.status', {})).model).toBeNull();
    const unknown = await clientOf(assistant).invoke('chat.prepare', { conversationId: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.ok ? null : unknown.error.code).toBe('not_found');
  });

  it('an answer cut off at its token limit is marked with that limit, after a restart too; Continue goes on in the same message', async () => {
    await call('models.openLocal', {});
    const conversation = await call('conversations.create', {});
    // The conversation's own limit, far below the engine's 200: the mark must name the real one.
    await call('conversations.setSettings', { id: conversation.id, maxTokens: 4 });
    const sent = await call('chat.send', { conversationId: conversation.id, text: 'Tell me everything about burrows' });
    const messageId = sent.assistantMessage.id;
    const end = await waitForEnd(sent.generationId);
    expect(end).toMatchObject({ reason: 'done', finishReason: 'length', tokenLimit: 4, messageId });
    const cut = assistant.conversations.getMessage(messageId);
    expect(cut).toMatchObject({ status: 'complete', tokenLimit: 4 });
    expect(cut.content.length).toBeGreaterThan(0);

    assistant = await restartWith({ maxTokens: 200, seed: 1 });
    expect((await call('conversations.get', { id: conversation.id })).messages.at(-1)).toMatchObject({ id: messageId, tokenLimit: 4, content: cut.content });

    const continued = await call('chat.continue', { messageId });
    expect(continued.userMessage.id).toBe(sent.userMessage.id);
    expect(continued.assistantMessage).toMatchObject({ id: messageId, status: 'streaming', tokenLimit: null, content: cut.content });
    const again = await assistant.router.call('chat.continue', { messageId });
    expect(again, 'refused while it is being written').toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    const continuedEnd = await waitForEnd(continued.generationId);
    expect(continuedEnd).toMatchObject({ reason: 'done', messageId, finishReason: 'length', tokenLimit: 4 });
    // Only the new tokens count against the limit: the answer so far is the model's own start.
    expect(continuedEnd.stats?.generatedTokens).toBe(4);

    const grown = assistant.conversations.getMessage(messageId);
    expect(grown).toMatchObject({ status: 'complete', tokenLimit: 4 });
    expect(grown.content.startsWith(cut.content)).toBe(true);
    expect(grown.content.length).toBeGreaterThan(cut.content.length);
    // Streamed live: the deltas are the continuation only, not the answer again.
    const streamed = deltasOf(continued.generationId).map((delta) => delta.text).join('');
    expect((cut.content + streamed).trim()).toBe(grown.content.trim());
    expect(assistant.conversations.get(conversation.id).messages.map((message) => message.id)).toEqual([sent.userMessage.id, messageId]);

    // Nothing to continue: a question, or an answer that ended on its own.
    expect(await assistant.router.call('chat.continue', { messageId: sent.userMessage.id })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    await call('conversations.setSettings', { id: conversation.id, maxTokens: null });
    assistant.conversations.updateMessage(messageId, { tokenLimit: null });
    expect(await assistant.router.call('chat.continue', { messageId })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });

  it('remembers the model across restarts and marks answers cut off by a crash as interrupted', async () => {
    await call('models.openLocal', {});
    const conversation = await call('conversations.create', {});
    // A reply that was streaming when the process died (written exactly as the chat service does mid-stream).
    assistant.conversations.addMessage({ conversationId: conversation.id, role: 'user', content: 'question', status: 'complete' });
    const partial = assistant.conversations.addMessage({ conversationId: conversation.id, role: 'assistant', content: 'half an ans', status: 'streaming' });

    assistant = await restartWith({ maxTokens: 50, seed: 3 });
    const reopened = assistant.conversations.getMessage(partial.id);
    expect(reopened).toMatchObject({ status: 'interrupted', content: 'half an ans' });

    // No openLocal this time: the last model loads by itself.
    const sent = await call('chat.send', { conversationId: conversation.id, text: 'again' });
    expect((await waitForEnd(sent.generationId)).reason).toBe('done');
  });
});

async function restartWith(settings: EngineSettings): Promise<Assistant> {
  await assistant.dispose();
  events = [];
  return start(settings);
}
