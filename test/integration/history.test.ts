/**
 * Branches, per-conversation settings, the context meter, search, export/import and restore
 * through the real router, real SQLite and the real engine running the suite's tiny model.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import type { EngineSettings } from '../../src/core/engine/types';
import type { EventName, EventPayload, ProcedureOutput } from '../../src/shared/contract';
import { TINY_WORDS, tinyModelPath } from '../support/tiny-model';
import { clientOf } from '../support/client';

const dirs: string[] = [];
const assistants: Assistant[] = [];
let events: Array<{ name: EventName; payload: unknown }>;

function start(settings: EngineSettings = { maxTokens: 40, seed: 1 }): Assistant {
  const dataDir = mkdtempSync(join(tmpdir(), 'burrow-history-'));
  dirs.push(dataDir);
  const assistant = createAssistant({ dataDir, spawnEngine: spawnNodeEngine(), engineSettings: settings, pickModelFile: () => Promise.resolve(tinyModelPath()) });
  assistant.subscribe((name, payload) => events.push({ name, payload }));
  assistants.push(assistant);
  return assistant;
}

function waitForEnd(assistant: Assistant, generationId: string): Promise<EventPayload<'generation.end'>> {
  return new Promise((resolve) => {
    const found = (): EventPayload<'generation.end'> | undefined =>
      events.find((event) => event.name === 'generation.end' && (event.payload as EventPayload<'generation.end'>).generationId === generationId)?.payload as
        | EventPayload<'generation.end'>
        | undefined;
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

async function turn(assistant: Assistant, started: Promise<ProcedureOutput<'chat.send'>>): Promise<{ started: ProcedureOutput<'chat.send'>; end: EventPayload<'generation.end'> }> {
  const value = await started;
  return { started: value, end: await waitForEnd(assistant, value.generationId) };
}

const streamedText = (generationId: string): string =>
  events
    .filter((event) => event.name === 'generation.delta' && (event.payload as EventPayload<'generation.delta'>).generationId === generationId)
    .map((event) => (event.payload as EventPayload<'generation.delta'>).text)
    .join('');

beforeEach(() => {
  events = [];
});

afterEach(async () => {
  for (const assistant of assistants.splice(0)) await assistant.dispose();
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('branches with the real engine', () => {
  it('regenerate streams a new answer beside the old one; edit starts a new branch; both stay switchable', async () => {
    const assistant = start();
    await clientOf(assistant).call('models.openLocal', {});
    const { id } = await clientOf(assistant).call('conversations.create', {});
    const first = await turn(assistant, clientOf(assistant).call('chat.send', { conversationId: id, text: 'Where is the rabbit?' }));
    const second = await turn(assistant, clientOf(assistant).call('chat.send', { conversationId: id, text: 'And the burrow?' }));
    expect(second.end.reason).toBe('done');

    const again = await turn(assistant, clientOf(assistant).call('chat.regenerate', { messageId: second.started.assistantMessage.id }));
    expect(again.end).toMatchObject({ reason: 'done', messageId: again.started.assistantMessage.id });
    expect(streamedText(again.started.generationId).length).toBeGreaterThan(0);
    let view = await clientOf(assistant).call('conversations.get', { id });
    expect(view.messages.map((m) => m.id)).toEqual([first.started.userMessage.id, first.started.assistantMessage.id, second.started.userMessage.id, again.started.assistantMessage.id]);
    expect(view.messages[3]?.siblingIds).toEqual([second.started.assistantMessage.id, again.started.assistantMessage.id]);
    expect(view.messages[3]?.content.trim()).toBe(streamedText(again.started.generationId).trim());

    const edited = await turn(assistant, clientOf(assistant).call('chat.edit', { messageId: first.started.userMessage.id, text: 'Where is the warm field?' }));
    expect(edited.end.reason).toBe('done');
    view = await clientOf(assistant).call('conversations.get', { id });
    expect(view.messages.map((m) => m.content.length > 0)).toEqual([true, true]);
    expect(view.messages[0]).toMatchObject({ content: 'Where is the warm field?', siblingIds: [first.started.userMessage.id, edited.started.userMessage.id] });

    const back = await clientOf(assistant).call('conversations.switchBranch', { messageId: first.started.userMessage.id });
    expect(back.messages.map((m) => m.id)).toEqual([first.started.userMessage.id, first.started.assistantMessage.id, second.started.userMessage.id, again.started.assistantMessage.id]);
    expect((await clientOf(assistant).call('conversations.get', { id })).messages).toEqual(back.messages);
  });
});

describe('per-conversation settings and the context meter', () => {
  it('applies maxTokens and the system prompt per conversation, and the meter counts them', async () => {
    const assistant = start({ maxTokens: 60, seed: 2 });
    const { id } = await clientOf(assistant).call('conversations.create', {});
    const beforeModel = await clientOf(assistant).call('conversations.contextUsage', { id });
    expect(beforeModel).toMatchObject({ usedTokens: null, contextSize: null, overflow: false, strategy: 'keep-system-and-newest' });
    expect(beforeModel.reason).toMatch(/No model is loaded/);
    expect(assistant.engine.status().state).toBe('idle');

    await clientOf(assistant).call('models.openLocal', {});
    await clientOf(assistant).call('conversations.setSettings', { id, maxTokens: 3 });
    const short = await turn(assistant, clientOf(assistant).call('chat.send', { conversationId: id, text: 'the rabbit' }));
    expect(short.end.stats?.generatedTokens).toBeLessThanOrEqual(3);
    expect(short.end.stats?.truncatedMessages).toBe(0);

    const plain = await clientOf(assistant).call('conversations.contextUsage', { id });
    expect(plain).toMatchObject({ contextSize: assistant.engine.status().model?.contextSize, overflow: false, reason: null });
    expect(plain.usedTokens).toBeGreaterThan(0);
    await clientOf(assistant).call('conversations.setSettings', { id, systemPrompt: 'You are a quiet rabbit who lives in a deep burrow under the field.' });
    const withPrompt = await clientOf(assistant).call('conversations.contextUsage', { id });
    expect(withPrompt.usedTokens).toBeGreaterThan((plain.usedTokens ?? 0) + 10);
    const answered = await turn(assistant, clientOf(assistant).call('chat.send', { conversationId: id, text: 'and then' }));
    expect(answered.end.reason).toBe('done');
    expect((await clientOf(assistant).call('conversations.setSettings', { id, maxTokens: null, systemPrompt: null })).maxTokens).toBeNull();
  });

  it('says when older messages no longer fit: the meter overflows and the answer reports what was left out', async () => {
    const assistant = start({ maxTokens: 24, seed: 3, contextSize: 256 });
    await clientOf(assistant).call('models.openLocal', {});
    const { id } = await clientOf(assistant).call('conversations.create', {});
    const long = TINY_WORDS.join(' ');
    let truncated = 0;
    let overflow = false;
    for (let i = 0; i < 12 && truncated === 0; i++) {
      const { end } = await turn(assistant, clientOf(assistant).call('chat.send', { conversationId: id, text: `${i} ${long}` }));
      expect(end.reason).toBe('done');
      truncated = end.stats?.truncatedMessages ?? 0;
      overflow ||= (await clientOf(assistant).call('conversations.contextUsage', { id })).overflow;
    }
    expect(truncated).toBeGreaterThan(0);
    expect(overflow).toBe(true);
  });
});

describe('history procedures end to end', () => {
  it('search finds what was said, delete removes it, export/import carries everything to a fresh data folder', async () => {
    const assistant = start();
    await clientOf(assistant).call('models.openLocal', {});
    const { id } = await clientOf(assistant).call('conversations.create', {});
    const sent = await turn(assistant, clientOf(assistant).call('chat.send', { conversationId: id, text: 'Tell me about the zanzibar otter' }));
    await turn(assistant, clientOf(assistant).call('chat.regenerate', { messageId: sent.started.assistantMessage.id }));
    await clientOf(assistant).call('conversations.setPinned', { id, pinned: true });
    await clientOf(assistant).call('conversations.setSettings', { id, temperature: 0.4 });

    const found = await clientOf(assistant).call('search.query', { query: 'zanzib' });
    expect(found.groups).toMatchObject([{ conversationId: id, pinned: true, hits: [{ kind: 'message', messageId: sent.started.userMessage.id, role: 'user' }] }]);
    // The conversation was titled from the first question, so the title matches too.
    expect(found.groups[0]?.titleSegments.some((segment) => segment.match)).toBe(true);

    const markdown = await clientOf(assistant).call('conversations.export', { id, format: 'markdown' });
    expect(markdown.content).toContain('Tell me about the zanzibar otter');
    const archive = await clientOf(assistant).call('history.exportAll', {});

    const other = start();
    const imported = await clientOf(other).call('history.import', { content: archive.content, fileName: archive.fileName });
    expect(imported).toEqual({ format: 'burrow-archive', conversations: 1, messages: 3, skipped: 0, duplicates: 0 });
    expect(events.some((event) => event.name === 'history.changed')).toBe(true);
    // The same file again adds nothing, and says so; a changed copy of the conversation is new.
    expect(await clientOf(other).call('history.import', { content: archive.content, fileName: archive.fileName })).toEqual({ format: 'burrow-archive', conversations: 0, messages: 0, skipped: 0, duplicates: 1 });
    const edited = archive.content.replace('Tell me about the zanzibar otter', 'Tell me about the zanzibar otters');
    expect(await clientOf(other).call('history.import', { content: edited, fileName: archive.fileName })).toMatchObject({ conversations: 1, duplicates: 0 });
    expect(await clientOf(other).call('conversations.list', {})).toHaveLength(2);
    await clientOf(other).call('conversations.delete', { id: (await clientOf(other).call('conversations.list', {}))[0]?.id ?? '' });
    const [copy] = await clientOf(other).call('conversations.list', {});
    const original = await clientOf(assistant).call('conversations.get', { id });
    const copied = await clientOf(other).call('conversations.get', { id: copy?.id ?? '' });
    expect(copied.settings).toEqual(original.settings);
    expect(copied.conversation).toMatchObject({ title: original.conversation.title, pinned: true, messageCount: 3 });
    expect(copied.messages.map((m) => [m.role, m.content, m.siblingIds.length])).toEqual(original.messages.map((m) => [m.role, m.content, m.siblingIds.length]));

    await clientOf(assistant).call('conversations.delete', { id });
    expect((await clientOf(assistant).call('search.query', { query: 'zanzibar' })).groups).toEqual([]);
    expect(await assistant.router.call('conversations.get', { id })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('restores a backup through the router, telling the UI to reload', async () => {
    const assistant = start();
    await clientOf(assistant).call('conversations.create', { title: 'Before the backup' });
    const name = await assistant.storage.makeDailyBackup();
    expect(name).not.toBeNull();
    // (Deleting is no way back to the backup: a deleted conversation leaves the backups too.)
    await clientOf(assistant).call('conversations.create', { title: 'After the backup' });

    const backups = await clientOf(assistant).call('history.backups', {});
    expect(backups.map((backup) => backup.name)).toEqual([name]);
    const status = await clientOf(assistant).call('history.restoreBackup', { name: name ?? '' });
    expect(status.backups.map((backup) => backup.kind).sort()).toEqual(['before-restore', 'daily']);
    expect((await clientOf(assistant).call('conversations.list', {})).map((c) => c.title)).toEqual(['Before the backup']);
    expect(events.filter((event) => event.name === 'history.changed').map((event) => event.payload)).toEqual([{ reason: 'restore' }]);
    expect(events.some((event) => event.name === 'store.status')).toBe(true);
    expect(await clientOf(assistant).call('store.status', {})).toEqual(status);
    expect(await assistant.router.call('history.restoreBackup', { name: '../burrow.sqlite' })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
  });
});
