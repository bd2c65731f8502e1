/**
 * ChatService against a real database and a scripted engine: which history, prompt and
 * options each kind of turn sends, and what happens when the disk refuses a save.
 */
import { describe, expect, it } from 'vitest';
import { ChatService } from '../../../src/core/chat/chat-service';
import type { EngineHost } from '../../../src/core/engine/engine-host';
import type { GenerateRequest, GenerateResult } from '../../../src/core/engine/types';
import type { EventListener } from '../../../src/core/events/event-hub';
import { EventHub } from '../../../src/core/events/event-hub';
import { ConversationStore } from '../../../src/core/store/conversations';
import type { Database } from '../../../src/core/store/database';
import type { EventPayload } from '../../../src/shared/contract';
import { BurrowError } from '../../../src/shared/errors';
import { useTempDataDir } from '../store/helpers';

const temp = useTempDataDir();

/** Answers each request with `answer`, in two chunks, after `gate` (when set) resolves. */
class ScriptedEngine {
  readonly requests: GenerateRequest[] = [];
  answer = 'a fine answer';
  gate: Promise<void> | null = null;

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    this.requests.push(request);
    const half = Math.floor(this.answer.length / 2);
    request.onText(this.answer.slice(0, half));
    if (this.gate !== null) await this.gate;
    request.onText(this.answer.slice(half));
    // Let the delta timer fire (and its periodic save run) before the end.
    await new Promise((resolve) => setTimeout(resolve, 5));
    return { text: this.answer, reason: 'done', stats: { evaluatedTokens: 10, generatedTokens: 5, durationMs: 1, truncatedMessages: 0 } };
  }
}

function setup(): { db: Database; conversations: ConversationStore; engine: ScriptedEngine; chat: ChatService; ended: (generationId: string) => Promise<EventPayload<'generation.end'>> } {
  const db = temp.open();
  const conversations = new ConversationStore(db);
  const engine = new ScriptedEngine();
  const hub = new EventHub();
  const ends = new Map<string, EventPayload<'generation.end'>>();
  const waiting = new Map<string, (end: EventPayload<'generation.end'>) => void>();
  const listener: EventListener = (name, payload) => {
    if (name !== 'generation.end') return;
    const end = payload as EventPayload<'generation.end'>;
    ends.set(end.generationId, end);
    waiting.get(end.generationId)?.(end);
  };
  hub.subscribe(listener);
  const chat = new ChatService({
    conversations,
    engine: engine as unknown as EngineHost,
    emit: hub.emit,
    ensureModel: () => Promise.resolve(),
    hasModel: () => true,
    deltaIntervalMs: 1,
    saveIntervalMs: 0,
  });
  const ended = (generationId: string) =>
    new Promise<EventPayload<'generation.end'>>((resolve) => {
      const done = ends.get(generationId);
      if (done) resolve(done);
      else waiting.set(generationId, resolve);
    });
  return { db, conversations, engine, chat, ended };
}

describe('ChatService turns', () => {
  it('send: the branch on screen as history, the conversation\'s settings as options', async () => {
    const { conversations, engine, chat, ended } = setup();
    const { id } = conversations.create();
    await ended(chat.send(id, 'first question').generationId);
    conversations.setSettings(id, { systemPrompt: 'Be brief.', temperature: 0.5, maxTokens: 32 });
    const second = chat.send(id, 'second question');
    expect(second.userMessage.parentId).not.toBeNull();
    await ended(second.generationId);
    expect(engine.requests[1]).toMatchObject({
      sessionKey: id,
      history: [
        { role: 'user', text: 'first question' },
        { role: 'assistant', text: 'a fine answer' },
      ],
      prompt: 'second question',
      options: { systemPrompt: 'Be brief.', temperature: 0.5, maxTokens: 32 },
    });
    expect(engine.requests[0]?.options).toEqual({});
  });

  it('edit: a sibling question answered from the history above the original', async () => {
    const { conversations, engine, chat, ended } = setup();
    const { id } = conversations.create();
    const first = chat.send(id, 'q1');
    await ended(first.generationId);
    const second = chat.send(id, 'q2');
    await ended(second.generationId);

    const edited = chat.edit(second.userMessage.id, 'q2, reworded');
    expect(edited.userMessage).toMatchObject({ content: 'q2, reworded', parentId: first.assistantMessage.id, siblingIds: [second.userMessage.id, edited.userMessage.id] });
    expect(await ended(edited.generationId)).toMatchObject({ reason: 'done', messageId: edited.assistantMessage.id });
    expect(engine.requests.at(-1)).toMatchObject({ history: [{ role: 'user', text: 'q1' }, { role: 'assistant', text: 'a fine answer' }], prompt: 'q2, reworded' });
    expect(conversations.get(id).messages.map((m) => m.content)).toEqual(['q1', 'a fine answer', 'q2, reworded', 'a fine answer']);

    // Editing the very first question starts from nothing.
    const restart = chat.edit(first.userMessage.id, 'q1 again');
    await ended(restart.generationId);
    expect(engine.requests.at(-1)).toMatchObject({ history: [], prompt: 'q1 again' });
    expect(() => chat.edit(first.assistantMessage.id, 'nope')).toThrow(/Only your own messages can be edited/);
  });

  it('regenerate: a sibling answer to the same question, from the history above it', async () => {
    const { conversations, engine, chat, ended } = setup();
    const { id } = conversations.create();
    await ended(chat.send(id, 'q1').generationId);
    const second = chat.send(id, 'q2');
    await ended(second.generationId);
    engine.answer = 'another answer';
    const again = chat.regenerate(second.assistantMessage.id);
    expect(again.userMessage.id).toBe(second.userMessage.id);
    expect(again.assistantMessage.siblingIds).toEqual([second.assistantMessage.id, again.assistantMessage.id]);
    await ended(again.generationId);
    expect(engine.requests.at(-1)).toMatchObject({ history: [{ role: 'user', text: 'q1' }, { role: 'assistant', text: 'a fine answer' }], prompt: 'q2' });
    expect(conversations.get(id).messages.at(-1)).toMatchObject({ content: 'another answer', status: 'complete' });
    expect(() => chat.regenerate(second.userMessage.id)).toThrow(/Only answers can be regenerated/);
  });

  it('refuses a second turn in a conversation that is still answering', async () => {
    const { conversations, engine, chat, ended } = setup();
    const { id } = conversations.create();
    let open!: () => void;
    engine.gate = new Promise((resolve) => (open = resolve));
    const first = chat.send(id, 'q1');
    for (const start of [() => chat.send(id, 'q2'), () => chat.regenerate(first.assistantMessage.id), () => chat.edit(first.userMessage.id, 'x')]) {
      expect(start).toThrow(/still answering/);
    }
    open();
    await ended(first.generationId);
  });
});

describe('ChatService when the disk refuses to save', () => {
  const cases: Array<[string, (db: Database) => () => void, RegExp]> = [
    [
      'read-only',
      (db) => {
        db.pragma('query_only = ON');
        return () => db.pragma('query_only = OFF');
      },
      /^Burrow could not save this answer: the data folder is read-only\. It is still shown; retry saving\.$/,
    ],
    [
      'full',
      (db) => {
        db.pragma('wal_checkpoint(TRUNCATE)');
        const pages = Number(db.pragma('page_count', { simple: true }));
        db.pragma(`max_page_count = ${pages}`);
        return () => db.pragma('max_page_count = 4294967294');
      },
      /^Burrow could not save this answer: the disk is full\. It is still shown; retry saving\.$/,
    ],
  ];

  for (const [kind, refuse, message] of cases) {
    it(`(${kind}) ends with storage_error, crashes nothing, corrupts nothing, and retrySave saves it later`, async () => {
      const { db, conversations, engine, chat, ended } = setup();
      const { id } = conversations.create();
      // Large enough to need new pages: a full disk refuses it.
      engine.answer = `long answer ${'text '.repeat(40_000)}`;
      let open!: () => void;
      engine.gate = new Promise((resolve) => (open = resolve));
      const sent = chat.send(id, 'question');
      const allow = refuse(db);
      open();
      const end = await ended(sent.generationId);
      expect(end).toMatchObject({ reason: 'error', messageId: sent.assistantMessage.id, error: { code: 'storage_error' } });
      expect(end.error?.message).toMatch(message);

      // Nothing half-written: the question and the placeholder as they were.
      expect(db.pragma('quick_check', { simple: true })).toBe('ok');
      expect(conversations.getMessage(sent.assistantMessage.id).status).toBe('streaming');
      expect(conversations.getMessage(sent.userMessage.id).content).toBe('question');

      let retryError: unknown;
      try {
        chat.retrySave(sent.assistantMessage.id);
      } catch (error) {
        retryError = error;
      }
      expect(retryError).toBeInstanceOf(BurrowError);
      expect((retryError as BurrowError).code).toBe('storage_error');

      allow();
      expect(chat.retrySave(sent.assistantMessage.id)).toMatchObject({ content: engine.answer, status: 'complete', error: null });
      expect(() => chat.retrySave(sent.assistantMessage.id)).toThrow(/Nothing is waiting to be saved/);
      expect(db.pragma('quick_check', { simple: true })).toBe('ok');
      // And the conversation carries on.
      engine.gate = null;
      engine.answer = 'short';
      expect(await ended(chat.send(id, 'next').generationId)).toMatchObject({ reason: 'done' });
    });
  }

  it('refuses to start a turn it cannot save, before anything streams', () => {
    const { db, conversations, engine, chat } = setup();
    const { id } = conversations.create();
    db.pragma('query_only = ON');
    let thrown: unknown;
    try {
      chat.send(id, 'question');
    } catch (error) {
      thrown = error;
    }
    expect((thrown as BurrowError).code).toBe('storage_error');
    expect((thrown as BurrowError).message).toBe('Burrow could not save this message: the data folder is read-only. Nothing was changed.');
    expect(engine.requests).toEqual([]);
    db.pragma('query_only = OFF');
    expect(conversations.get(id).messages).toEqual([]);
  });
});
