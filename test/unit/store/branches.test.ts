import { describe, expect, it } from 'vitest';
import { ConversationStore } from '../../../src/core/store/conversations';
import type { ConversationView } from '../../../src/shared/contract';
import { useTempDataDir } from './helpers';

const temp = useTempDataDir();

function store(): ConversationStore {
  return new ConversationStore(temp.open());
}

const contents = (view: ConversationView): string[] => view.messages.map((message) => message.content);

describe('conversation trees', () => {
  it('writes a question and its empty answer together, chained to the end of the branch', () => {
    const conversations = store();
    const { id } = conversations.create();
    const first = conversations.addExchange({ conversationId: id, text: 'first' });
    expect(first.userMessage).toMatchObject({ parentId: null, siblingIds: [first.userMessage.id], role: 'user', status: 'complete' });
    expect(first.assistantMessage).toMatchObject({ parentId: first.userMessage.id, siblingIds: [first.assistantMessage.id], content: '', status: 'streaming' });
    conversations.updateMessage(first.assistantMessage.id, { content: 'answer one', status: 'complete' });
    const second = conversations.addExchange({ conversationId: id, text: 'second' });
    expect(second.userMessage.parentId).toBe(first.assistantMessage.id);
    expect(contents(conversations.get(id))).toEqual(['first', 'answer one', 'second', '']);
  });

  it('an edit is a sibling of the original question; both branches stay reachable and switchable', () => {
    const conversations = store();
    const { id } = conversations.create();
    const a = conversations.addExchange({ conversationId: id, text: 'question A' });
    conversations.updateMessage(a.assistantMessage.id, { content: 'answer A' });
    const followUp = conversations.addExchange({ conversationId: id, text: 'follow-up on A' });

    // Edit the first question: a new first message, beside the original.
    const b = conversations.addExchange({ conversationId: id, parentId: null, text: 'question B' });
    expect(b.userMessage.siblingIds).toEqual([a.userMessage.id, b.userMessage.id]);
    const onB = conversations.get(id);
    expect(contents(onB)).toEqual(['question B', '']);
    expect(onB.messages[0]?.siblingIds).toEqual([a.userMessage.id, b.userMessage.id]);

    // "1 / 2": back to A, and down to its newest message (the follow-up's answer).
    const onA = conversations.switchBranch(a.userMessage.id);
    expect(contents(onA)).toEqual(['question A', 'answer A', 'follow-up on A', '']);
    expect(onA.messages.at(-1)?.id).toBe(followUp.assistantMessage.id);
    expect(conversations.activeLeafId(id)).toBe(followUp.assistantMessage.id);
    expect(conversations.get(id).conversation.messageCount).toBe(6);
  });

  it('a regenerated answer is a sibling of the first; the history to its question is the path above it', () => {
    const conversations = store();
    const { id } = conversations.create();
    const turn1 = conversations.addExchange({ conversationId: id, text: 'q1' });
    conversations.updateMessage(turn1.assistantMessage.id, { content: 'a1' });
    const turn2 = conversations.addExchange({ conversationId: id, text: 'q2' });
    conversations.updateMessage(turn2.assistantMessage.id, { content: 'a2' });

    const again = conversations.addMessage({ conversationId: id, parentId: turn2.userMessage.id, role: 'assistant', content: '', status: 'streaming' });
    expect(again.siblingIds).toEqual([turn2.assistantMessage.id, again.id]);
    expect(conversations.historyTo(turn2.userMessage.parentId)).toEqual([
      { role: 'user', content: 'q1' },
      { role: 'assistant', content: 'a1' },
    ]);
    expect(conversations.get(id).messages.at(-1)?.id).toBe(again.id);
    expect(conversations.switchBranch(turn2.assistantMessage.id).messages.at(-1)?.content).toBe('a2');
  });

  it('refuses a parent from another conversation and a branch switch to a message that is gone', () => {
    const conversations = store();
    const one = conversations.create();
    const two = conversations.create();
    const elsewhere = conversations.addMessage({ conversationId: one.id, role: 'user', content: 'x', status: 'complete' });
    expect(() => conversations.addMessage({ conversationId: two.id, parentId: elsewhere.id, role: 'user', content: 'y', status: 'complete' })).toThrow(
      'This message no longer exists.',
    );
    expect(() => conversations.switchBranch('gone')).toThrow('This message no longer exists.');
    expect(conversations.get(two.id).messages).toEqual([]);
  });

  it('repairs a dangling active leaf by showing the newest message', () => {
    const db = temp.open();
    const conversations = new ConversationStore(db);
    const { id } = conversations.create();
    conversations.addExchange({ conversationId: id, text: 'hello' });
    db.prepare("UPDATE conversations SET active_leaf_id = 'vanished' WHERE id = ?").run(id);
    expect(contents(conversations.get(id))).toEqual(['hello', '']);
  });

  it('lists pinned conversations first, then the most recently active', () => {
    const conversations = store();
    const old = conversations.create('Old');
    conversations.create('Middle');
    conversations.create('New');
    expect(conversations.setPinned(old.id, true)).toMatchObject({ id: old.id, pinned: true });
    expect(conversations.list().map((c) => [c.title, c.pinned])).toEqual([
      ['Old', true],
      ['New', false],
      ['Middle', false],
    ]);
    conversations.setPinned(old.id, false);
    expect(conversations.list().map((c) => c.title)).toEqual(['New', 'Middle', 'Old']);
    expect(() => conversations.setPinned('gone', true)).toThrow('This conversation no longer exists.');
  });

  it('keeps per-conversation settings: left out keeps, null clears', () => {
    const conversations = store();
    const { id } = conversations.create();
    expect(conversations.setSettings(id, { systemPrompt: 'Answer like a rabbit.', temperature: 0.2 })).toEqual({
      systemPrompt: 'Answer like a rabbit.',
      temperature: 0.2,
      topP: null,
      maxTokens: null,
    });
    expect(conversations.setSettings(id, { maxTokens: 64, temperature: null })).toEqual({ systemPrompt: 'Answer like a rabbit.', temperature: null, topP: null, maxTokens: 64 });
    expect(conversations.get(id).settings).toEqual(conversations.settings(id));
  });

  it('deletes a long, branched conversation completely and fast', () => {
    const db = temp.open();
    const conversations = new ConversationStore(db);
    const { id } = conversations.create();
    const kept = conversations.create('Kept');
    conversations.addMessage({ conversationId: kept.id, role: 'user', content: 'stay', status: 'complete' });
    for (let i = 0; i < 600; i++) {
      const turn = conversations.addExchange({ conversationId: id, text: `question ${i}` });
      if (i % 50 === 0) conversations.addMessage({ conversationId: id, parentId: turn.userMessage.id, role: 'assistant', content: `alt ${i}`, status: 'complete' });
    }
    const started = performance.now();
    conversations.delete(id);
    expect(performance.now() - started).toBeLessThan(5000);
    expect(db.prepare('SELECT count(*) FROM messages WHERE conversation_id = ?').pluck().get(id)).toBe(0);
    expect(conversations.list().map((c) => c.title)).toEqual(['Kept']);
    expect(() => conversations.delete(id)).toThrow('This conversation no longer exists.');
  });
});
