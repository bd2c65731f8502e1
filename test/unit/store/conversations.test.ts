import { describe, expect, it } from 'vitest';
import { ConversationStore, type ConversationStoreOptions } from '../../../src/core/store/conversations';
import { closeDatabase } from '../../../src/core/store/database';
import { Conversation, Message } from '../../../src/shared/contract';
import { BurrowError } from '../../../src/shared/errors';
import { useTempDataDir } from './helpers';

const temp = useTempDataDir();

function store(options?: ConversationStoreOptions): ConversationStore {
  return new ConversationStore(temp.open(), options);
}

/** A clock the test moves by hand. */
function manualClock(start: number) {
  const clock = { time: start, now: () => clock.time };
  return clock;
}

function expectNotFound(action: () => unknown, message: string): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(BurrowError);
  expect((thrown as BurrowError).code).toBe('not_found');
  expect((thrown as BurrowError).message).toBe(message);
}

const GONE = 'This conversation no longer exists.';

describe('ConversationStore', () => {
  it('creates a conversation shaped exactly as the contract says, titled "New chat" by default', () => {
    const clock = manualClock(1_700_000_000_000);
    const conversations = store(clock);
    const created = conversations.create();
    expect(Conversation.parse(created)).toEqual(created);
    expect(created).toEqual({
      id: expect.any(String),
      title: 'New chat',
      createdAt: clock.time,
      updatedAt: clock.time,
      messageCount: 0,
      pinned: false,
    });
    expect(conversations.get(created.id)).toEqual({
      conversation: created,
      messages: [],
      settings: { systemPrompt: null, temperature: null, topP: null, maxTokens: null },
    });
  });

  it('lists the most recently active conversation first, with its message count', () => {
    const conversations = store();
    const older = conversations.create('Older');
    const newer = conversations.create('Newer');
    expect(conversations.list().map((c) => c.title)).toEqual(['Newer', 'Older']);

    conversations.addMessage({ conversationId: older.id, role: 'user', content: 'Still here?', status: 'complete' });
    const listed = conversations.list();
    expect(listed.map((c) => [c.title, c.messageCount])).toEqual([
      ['Older', 1],
      ['Newer', 0],
    ]);
    expect(listed[1]).toEqual(newer);
  });

  it('bumps the conversation\'s updated time when a message is added', () => {
    const clock = manualClock(1_000);
    const conversations = store(clock);
    const conversation = conversations.create();
    clock.time = 5_000;
    const message = conversations.addMessage({ conversationId: conversation.id, role: 'user', content: 'Hi', status: 'complete' });
    expect(message.createdAt).toBe(5_000);
    expect(conversations.get(conversation.id).conversation).toMatchObject({ createdAt: 1_000, updatedAt: 5_000, messageCount: 1 });
  });

  it('keeps messages in the order they were added, even within one millisecond', () => {
    const conversations = store({ now: () => 42 });
    const { id } = conversations.create();
    const texts = ['one', 'two', 'three', 'four', 'five', 'six'];
    const added = texts.map((content, index) =>
      conversations.addMessage({ conversationId: id, role: index % 2 === 0 ? 'user' : 'assistant', content, status: 'complete' }),
    );
    const { messages } = conversations.get(id);
    expect(messages.map((m) => m.content)).toEqual(texts);
    expect(messages).toEqual(added);
    for (const message of messages) expect(Message.parse(message)).toEqual(message);
  });

  it('keeps conversations and messages across a restart', () => {
    const db = temp.open();
    const before = new ConversationStore(db);
    const { id } = before.create('Trip');
    before.addMessage({ conversationId: id, role: 'user', content: 'Pack list?', status: 'complete' });
    const snapshot = before.get(id);
    closeDatabase(db);
    expect(new ConversationStore(temp.open()).get(id)).toEqual(snapshot);
  });

  it('renames a conversation without moving it in the list', () => {
    const conversations = store();
    const first = conversations.create('First');
    conversations.create('Second');
    const renamed = conversations.rename(first.id, 'Renamed');
    expect(renamed).toEqual({ ...first, title: 'Renamed' });
    expect(conversations.list().map((c) => c.title)).toEqual(['Second', 'Renamed']);
  });

  it('deletes a conversation together with its messages', () => {
    const db = temp.open();
    const conversations = new ConversationStore(db);
    const doomed = conversations.create('Doomed');
    const kept = conversations.create('Kept');
    const gone = conversations.addMessage({ conversationId: doomed.id, role: 'user', content: 'secret', status: 'complete' });
    conversations.addMessage({ conversationId: kept.id, role: 'user', content: 'keep me', status: 'complete' });

    conversations.delete(doomed.id);

    expect(conversations.list().map((c) => c.title)).toEqual(['Kept']);
    expectNotFound(() => conversations.get(doomed.id), GONE);
    expectNotFound(() => conversations.getMessage(gone.id), 'This message no longer exists.');
    expect(db.prepare('SELECT count(*) FROM messages WHERE conversation_id = ?').pluck().get(doomed.id)).toBe(0);
    expect(conversations.get(kept.id).messages).toHaveLength(1);
  });

  it('says a conversation no longer exists when asked for one that is gone', () => {
    const conversations = store();
    const { id } = conversations.create();
    conversations.delete(id);
    expectNotFound(() => conversations.get(id), GONE);
    expectNotFound(() => conversations.rename(id, 'Too late'), GONE);
    expectNotFound(() => conversations.delete(id), GONE);
    expectNotFound(
      () => conversations.addMessage({ conversationId: id, role: 'user', content: 'Hello?', status: 'complete' }),
      GONE,
    );
  });

  it('updates a message\'s text, status and error, leaving out what is not given', () => {
    const conversations = store();
    const { id: conversationId } = conversations.create();
    const reply = conversations.addMessage({ conversationId, role: 'assistant', content: '', status: 'streaming' });
    expect(reply.error).toBeNull();

    conversations.updateMessage(reply.id, { content: 'Half an ans' });
    expect(conversations.getMessage(reply.id)).toEqual({ ...reply, content: 'Half an ans' });

    conversations.updateMessage(reply.id, { status: 'error', error: 'The engine stopped.' });
    expect(conversations.getMessage(reply.id)).toMatchObject({ content: 'Half an ans', status: 'error', error: 'The engine stopped.' });

    conversations.updateMessage(reply.id, { content: 'A full answer.', status: 'complete', error: null });
    expect(conversations.getMessage(reply.id)).toEqual({ ...reply, content: 'A full answer.', status: 'complete', error: null });

    expectNotFound(() => conversations.updateMessage('no-such-message', { content: 'x' }), 'This message no longer exists.');
  });

  it('marks replies that were streaming when Burrow stopped as interrupted, keeping their text', () => {
    const db = temp.open();
    const before = new ConversationStore(db);
    const a = before.create('A');
    const b = before.create('B');
    const question = before.addMessage({ conversationId: a.id, role: 'user', content: 'Why?', status: 'complete' });
    const cut = before.addMessage({ conversationId: a.id, role: 'assistant', content: 'Because', status: 'streaming' });
    const alsoCut = before.addMessage({ conversationId: b.id, role: 'assistant', content: '', status: 'streaming' });
    const stopped = before.addMessage({ conversationId: b.id, role: 'assistant', content: 'Hm', status: 'cancelled' });
    db.close(); // as if the app died mid-reply

    const after = new ConversationStore(temp.open());
    expect(after.markInterrupted()).toBe(2);
    expect(after.getMessage(cut.id)).toEqual({ ...cut, status: 'interrupted' });
    expect(after.getMessage(alsoCut.id).status).toBe('interrupted');
    expect(after.getMessage(question.id)).toEqual(question);
    expect(after.getMessage(stopped.id)).toEqual(stopped);
    expect(after.markInterrupted()).toBe(0);
  });
});
