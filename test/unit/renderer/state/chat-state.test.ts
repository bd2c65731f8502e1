/**
 * ChatState over the typed client and a fake transport (the state is what is tested): an answer
 * whose events beat chat.send's reply, seq order, cancel, refused sends and failed answers.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createClient, type GenerationEnd } from '../../../../src/shared/client';
import type { ChatStarted, ConversationView, Message } from '../../../../src/shared/contract';
import type { Result } from '../../../../src/shared/errors';
import { FakeTransport } from '../../../support/fake-transport';
import { ChatState } from '../../../../src/renderer/lib/chat-state.svelte';
import { Toasts } from '../../../../src/renderer/lib/toasts.svelte';

const conversation = { id: 'c1', title: 'Chat', createdAt: 1, updatedAt: 1, messageCount: 0, pinned: false };

function message(id: string, role: Message['role'], status: Message['status']): Message {
  return { id, conversationId: 'c1', role, content: role === 'user' ? 'hi' : '', status, createdAt: 1, error: null, parentId: null, siblingIndex: 0, siblingCount: 1, model: null, references: [] } as unknown as Message;
}

class FakeCore extends FakeTransport {
  /** Runs inside chat.send, before it answers (the core streams at once). */
  duringSend: () => void = () => undefined;
  sendResult: Result<unknown> = { ok: true, value: { generationId: 'g1', userMessage: message('u1', 'user', 'complete'), assistantMessage: message('a1', 'assistant', 'streaming') } satisfies ChatStarted };
  continueResult: Result<unknown> = { ok: false, error: { code: 'invalid_input', message: 'nothing to continue' } };
  /** The messages conversations.get shows (none: an empty conversation). */
  shown: Message[] = [];

  override answer(name: string): Result<unknown> {
    switch (name) {
      case 'conversations.list':
        return { ok: true, value: [conversation] };
      case 'conversations.get':
        return { ok: true, value: { conversation, messages: this.shown, settings: { systemPrompt: null, temperature: null, maxTokens: null } } as unknown as ConversationView };
      case 'chat.send':
        this.duringSend();
        return this.sendResult;
      case 'chat.continue':
        this.duringSend();
        return this.continueResult;
      default:
        return { ok: true, value: { cancelled: true } };
    }
  }

  delta(seq: number, text: string): void {
    this.emit('generation.delta', { generationId: 'g1', seq, text });
  }
  end(reason: GenerationEnd['reason'], extra: Partial<GenerationEnd> = {}): void {
    this.emit('generation.end', { generationId: 'g1', conversationId: 'c1', messageId: 'a1', reason, ...extra });
  }
}

async function setup(): Promise<{ core: FakeCore; chat: ChatState; toasts: Toasts }> {
  const core = new FakeCore();
  const toasts = new Toasts();
  const chat = new ChatState(toasts, createClient(core));
  chat.connect();
  await chat.open('c1');
  return { core, chat, toasts };
}

const answer = (chat: ChatState): Message | undefined => chat.messages.find((m) => m.id === 'a1');

describe('ChatState', () => {
  it('shows an answer whose deltas and end arrived before chat.send answered', async () => {
    const { core, chat } = await setup();
    core.duringSend = () => {
      core.delta(0, 'Early ');
      core.delta(1, 'answer');
      core.end('done');
    };
    expect(await chat.send('hi')).toBe(true);
    expect(answer(chat)).toMatchObject({ content: 'Early answer', status: 'complete' });
    expect(chat.activeGenerationId).toBeNull();
    expect(chat.answering).toBe(false);
  });

  it('Continue appends to the text so far, also when its first delta beats its reply, and the end marks the limit again', async () => {
    const { core, chat } = await setup();
    await chat.send('hi');
    core.delta(0, 'The first part');
    core.end('done', { finishReason: 'length', tokenLimit: 1024 });
    expect(answer(chat)).toMatchObject({ content: 'The first part', status: 'complete', tokenLimit: 1024 });

    const continued = { ...message('a1', 'assistant', 'streaming'), content: 'The first part', tokenLimit: null };
    core.continueResult = { ok: true, value: { generationId: 'g2', userMessage: message('u1', 'user', 'complete'), assistantMessage: continued } satisfies ChatStarted };
    core.duringSend = () => core.emit('generation.delta', { generationId: 'g2', seq: 0, text: ' and' });
    expect(await chat.continue('a1')).toBe(true);
    expect(answer(chat)).toMatchObject({ content: 'The first part and', status: 'streaming', tokenLimit: null });
    expect(chat.activeGenerationId).toBe('g2');
    core.emit('generation.delta', { generationId: 'g2', seq: 1, text: ' more' });
    expect(answer(chat)?.content).toBe('The first part and more');
    core.emit('generation.end', { generationId: 'g2', conversationId: 'c1', messageId: 'a1', reason: 'done', finishReason: 'length', tokenLimit: 1024 });
    expect(answer(chat)).toMatchObject({ content: 'The first part and more', status: 'complete', tokenLimit: 1024 });
    expect(chat.messages.filter((m) => m.role === 'assistant')).toHaveLength(1);
  });

  it('streams deltas in seq order into the open conversation', async () => {
    const { core, chat } = await setup();
    await chat.send('hi');
    expect(chat.activeGenerationId).toBe('g1');
    core.delta(1, 'world');
    expect(answer(chat)?.content).toBe('');
    core.delta(0, 'hello ');
    expect(answer(chat)?.content).toBe('hello world');
    core.end('done');
    expect(answer(chat)?.status).toBe('complete');
    expect(chat.endedCount).toBe(1);
  });

  it('cancel asks the core to stop the active answer; the end marks it cancelled', async () => {
    const { core, chat } = await setup();
    await chat.send('hi');
    core.delta(0, 'partial');
    await chat.cancel();
    expect(core.calls).toContain('chat.cancel');
    core.end('cancelled');
    expect(answer(chat)).toMatchObject({ content: 'partial', status: 'cancelled' });
    expect(chat.answering).toBe(false);
  });

  it('a refused send becomes a toast; a failed answer shows its error', async () => {
    const { core, chat, toasts } = await setup();
    core.sendResult = { ok: false, error: { code: 'no_model', message: 'No model is loaded.' } };
    expect(await chat.send('hi')).toBe(false);
    expect(toasts.items.map((toast) => toast.message)).toEqual(['No model is loaded.']);

    core.sendResult = { ok: true, value: { generationId: 'g1', userMessage: message('u1', 'user', 'complete'), assistantMessage: message('a1', 'assistant', 'streaming') } };
    await chat.send('hi');
    core.end('error', { error: { code: 'storage_error', message: 'The disk is full.' } });
    expect(answer(chat)).toMatchObject({ status: 'error', error: 'The disk is full.' });
    expect(chat.unsavedReason('a1')).toBe('The disk is full.');
  });

  describe('getting an opened conversation ready (chat.prepare)', () => {
    afterEach(() => vi.useRealTimers());
    const prepares = (core: FakeCore): number => core.calls.filter((name) => name === 'chat.prepare').length;

    async function opened(shown: Message[]): Promise<{ core: FakeCore; chat: ChatState }> {
      vi.useFakeTimers();
      const core = new FakeCore();
      core.shown = shown;
      const chat = new ChatState(new Toasts(), createClient(core));
      chat.connect();
      await chat.open('c1');
      return { core, chat };
    }

    it('asks once the conversation has stayed open a moment, not for one left at once or an empty one', async () => {
      const { core, chat } = await opened([{ ...message('u1', 'user', 'complete') }, { ...message('a1', 'assistant', 'complete'), content: 'Hello.' }]);
      await vi.advanceTimersByTimeAsync(100);
      expect(prepares(core)).toBe(0);
      await vi.advanceTimersByTimeAsync(300);
      expect(prepares(core)).toBe(1);

      // Opened twice in quick succession: the first is left before its moment passed, so one ask.
      await chat.open('c1');
      await chat.open('c1');
      await vi.advanceTimersByTimeAsync(400);
      expect(prepares(core)).toBe(2);

      const empty = await opened([]);
      await vi.advanceTimersByTimeAsync(400);
      expect(prepares(empty.core)).toBe(0);
    });

    it('asks again when a model finishes loading, not after an answer', async () => {
      const { core } = await opened([{ ...message('u1', 'user', 'complete') }, { ...message('a1', 'assistant', 'complete'), content: 'Hello.' }]);
      await vi.advanceTimersByTimeAsync(400);
      const model = { path: '/m.gguf', name: 'm' };
      core.emit('engine.state', { state: 'loading', model: null, error: null });
      core.emit('engine.state', { state: 'ready', model, error: null });
      expect(prepares(core)).toBe(2);
      core.emit('engine.state', { state: 'generating', model, error: null });
      core.emit('engine.state', { state: 'ready', model, error: null });
      expect(prepares(core)).toBe(2);
    });
  });
});
