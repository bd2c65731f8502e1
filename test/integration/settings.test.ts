/**
 * Preferences through the real router, SQLite and engine process (the suite's tiny model):
 * they apply without a restart (answer length, context size, system prompt), survive one, and
 * the quick window's conversations and the desktop host behave as the settings say.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '../../src/shared/client';
import { createAssistant, type Assistant, type AssistantHost } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import { databasePath } from '../../src/core/store/database';
import type { EventName, EventPayload } from '../../src/shared/contract';
import { tinyModelPath } from '../support/tiny-model';
import { clientOf } from '../support/client';

let dataDir: string;
let assistant: Assistant;
let events: Array<{ name: EventName; payload: unknown }>;

function start(extra: Partial<AssistantHost> = {}): Assistant {
  const created = createAssistant({ dataDir, spawnEngine: spawnNodeEngine(), engineSettings: { maxTokens: 200, seed: 1 }, pickModelFile: () => Promise.resolve(tinyModelPath()), ...extra });
  created.subscribe((name, payload) => events.push({ name, payload }));
  return created;
}

const call: Client['call'] = (name, input) => clientOf(assistant).call(name, input);

function ended(generationId: string): Promise<EventPayload<'generation.end'>> {
  return new Promise((resolve) => {
    const find = () => events.find((event) => event.name === 'generation.end' && (event.payload as EventPayload<'generation.end'>).generationId === generationId)?.payload as EventPayload<'generation.end'> | undefined;
    const found = find();
    if (found) return resolve(found);
    const unsubscribe = assistant.subscribe(() => {
      const end = find();
      if (end) {
        unsubscribe();
        resolve(end);
      }
    });
  });
}

async function ask(text: string): Promise<EventPayload<'generation.end'>> {
  const conversation = await call('conversations.create', {});
  const { generationId } = await call('chat.send', { conversationId: conversation.id, text });
  return ended(generationId);
}

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 600 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 50));
  expect(condition()).toBe(true);
}

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'burrow-settings-'));
  events = [];
  assistant = start();
});

afterEach(async () => {
  await assistant.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('settings take effect without a restart', () => {
  it('max answer length: the next answer stops at 5 tokens; settings.changed carries the new settings', async () => {
    await call('models.openLocal', {});
    expect((await ask('Tell me a long story')).stats?.generatedTokens).toBeGreaterThan(5);
    const settings = await call('settings.set', { patch: { maxTokens: 5, temperature: 0.3, topP: 0.8 } });
    expect(settings).toMatchObject({ maxTokens: 5, temperature: 0.3, topP: 0.8 });
    expect(events.filter((event) => event.name === 'settings.changed').at(-1)?.payload).toEqual(settings);
    const end = await ask('Tell me a long story');
    expect(end.reason).toBe('done');
    expect(end.stats?.generatedTokens).toBeLessThanOrEqual(5);
    // Back to Burrow's default: long answers again.
    await call('settings.set', { patch: { maxTokens: null } });
    expect((await ask('Tell me a long story')).stats?.generatedTokens).toBeGreaterThan(5);
  });

  it('the system prompt applies from the next answer, to conversations without their own', async () => {
    await call('models.openLocal', {});
    const conversation = await call('conversations.create', {});
    const { generationId } = await call('chat.send', { conversationId: conversation.id, text: 'Hello' });
    await ended(generationId);
    const before = await call('conversations.contextUsage', { id: conversation.id });
    await call('settings.set', { patch: { systemPrompt: 'You are a rabbit who lives in a deep burrow and answers every question about fields and moss.' } });
    const after = await call('conversations.contextUsage', { id: conversation.id });
    expect(after.usedTokens!).toBeGreaterThan(before.usedTokens! + 10);
    const next = await call('chat.send', { conversationId: conversation.id, text: 'And now?' });
    expect((await ended(next.generationId)).reason).toBe('done');
  });

  it('context size reloads the loaded model with it; the next answer works', async () => {
    await call('models.openLocal', {});
    expect(assistant.engine.status().model?.contextSize).toBe(2048);
    await call('settings.set', { patch: { contextSize: 512 } });
    await waitFor(() => assistant.engine.status().model?.contextSize === 512 && assistant.engine.status().state === 'ready');
    expect((await ask('Hello again')).reason).toBe('done');
  });

  it('settings survive a restart and apply from the start', async () => {
    await call('settings.set', { patch: { maxTokens: 4, theme: 'dark' } });
    await assistant.dispose();
    assistant = start();
    expect(await call('settings.get', {})).toMatchObject({ maxTokens: 4, theme: 'dark' });
    await call('models.openLocal', {});
    expect((await ask('Tell me a long story')).stats?.generatedTokens).toBeLessThanOrEqual(4);
  });

  it('invalid settings are refused and change nothing', async () => {
    for (const patch of [{ maxTokens: 0 }, { temperature: 5 }, { shortcut: 'Q' }, { theme: 'purple' }, { launchAtLogin: 'yes' }, { surprise: 1 }]) {
      const result = await assistant.router.call('settings.set', { patch });
      expect(result).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    }
    expect(await call('settings.get', {})).toMatchObject({ maxTokens: null, temperature: null, launchAtLogin: false });
  });
});

describe('the quick window’s conversations', () => {
  it('a quick question is a conversation marked quick; follow-ups stay in it; Esc keeps it (and its answer) by default', async () => {
    await call('models.openLocal', {});
    const started = await call('quick.ask', { conversationId: null, text: 'What is moss?' });
    const id = started.userMessage.conversationId;
    expect(await call('quick.conversations', {})).toEqual([id]);
    await ended(started.generationId);
    const followUp = await call('quick.ask', { conversationId: id, text: 'And stone?' });
    expect(followUp.userMessage.conversationId).toBe(id);
    expect(await call('quick.dismiss', { conversationId: id })).toEqual({ hidden: false, cancelled: false, deleted: false });
    expect((await ended(followUp.generationId)).reason).toBe('done');
    expect(assistant.conversations.get(id).messages).toHaveLength(4);
  });

  it('Esc stops the answer when "Esc also stops the answer" is on', async () => {
    await call('models.openLocal', {});
    await call('settings.set', { patch: { escCancelsQuickAnswer: true, maxTokens: 2000 } });
    const started = await call('quick.ask', { conversationId: null, text: 'Tell me everything' });
    expect(await call('quick.dismiss', { conversationId: started.userMessage.conversationId })).toMatchObject({ cancelled: true, deleted: false });
    expect((await ended(started.generationId)).reason).toBe('cancelled');
  });

  it('"don’t save quick prompts": deleted when dismissed, kept when continued in Burrow, purged at the next start if never dismissed', async () => {
    await call('models.openLocal', {});
    await call('settings.set', { patch: { saveQuickPrompts: false } });
    const dismissed = await call('quick.ask', { conversationId: null, text: 'Forget me' });
    expect(await call('quick.dismiss', { conversationId: dismissed.userMessage.conversationId })).toMatchObject({ deleted: true });
    expect(assistant.conversations.list()).toEqual([]);

    const continued = await call('quick.ask', { conversationId: null, text: 'Keep me' });
    await ended(continued.generationId);
    expect(await call('window.show', { conversationId: continued.userMessage.conversationId })).toEqual({ shown: false });
    expect(await call('quick.dismiss', { conversationId: continued.userMessage.conversationId })).toMatchObject({ deleted: false });

    const left = await call('quick.ask', { conversationId: null, text: 'Left open' });
    await ended(left.generationId);
    await assistant.dispose();
    assistant = start();
    await waitFor(() => assistant.conversations.list().length === 1);
    expect(assistant.conversations.list().map((conversation) => conversation.title)).toEqual(['Keep me']);
  });

  it('a question that cannot be asked (no model) leaves no empty conversation behind', async () => {
    const result = await assistant.router.call('quick.ask', { conversationId: null, text: 'Anyone?' });
    expect(result).toMatchObject({ ok: false, error: { code: 'no_model' } });
    expect(assistant.conversations.list()).toEqual([]);
  });
});

describe('the desktop host', () => {
  it('the browser host has no windows, shortcut or file manager, and says so', async () => {
    const status = await call('settings.status', {});
    expect(status).toMatchObject({ canRevealDataFolder: false, canLaunchAtLogin: false, shortcut: { state: 'unavailable' } });
    expect(status.shortcut.message).toMatch(/Burrow app/);
    expect(await assistant.router.call('settings.revealDataFolder', {})).toMatchObject({ ok: false, error: { code: 'refused' } });
    const folder = await call('settings.dataFolder', {});
    expect(folder).toMatchObject({ path: dataDir, modelsFolder: join(dataDir, 'models'), canReveal: false });
    expect(folder.sizeBytes).toBeGreaterThan(0);
  });

  it('the app: Continue in Burrow shows the main window and opens the conversation; the shell reports the shortcut; reveal opens the folder', async () => {
    await assistant.dispose();
    const shown: Array<string | null> = [];
    let hidden = 0;
    const revealed: string[] = [];
    assistant = start({
      desktop: { showMainWindow: (id) => shown.push(id), hideQuickWindow: () => hidden++, canLaunchAtLogin: true },
      revealFile: (path) => {
        revealed.push(path);
        return Promise.resolve();
      },
    });
    expect((await call('settings.status', {})).shortcut.state).toBe('off');
    assistant.preferences.setShortcutStatus({ state: 'conflict', accelerator: 'CommandOrControl+Shift+Space', message: 'Another app is already using Ctrl+Shift+Space.' });
    expect(events.filter((event) => event.name === 'settings.status').at(-1)?.payload).toMatchObject({ shortcut: { state: 'conflict' }, canLaunchAtLogin: true, canRevealDataFolder: true });

    const conversation = await call('conversations.create', {});
    expect(await call('window.show', { conversationId: conversation.id })).toEqual({ shown: true });
    expect(shown).toEqual([conversation.id]);
    expect(events.filter((event) => event.name === 'ui.command').at(-1)?.payload).toEqual({ command: 'open-conversation', conversationId: conversation.id });
    expect(assistant.preferences.openConversation()).toBe(conversation.id);
    expect(await call('quick.dismiss', { conversationId: null })).toMatchObject({ hidden: true });
    expect(hidden).toBe(1);
    await call('settings.revealDataFolder', {});
    expect(revealed).toEqual([databasePath(dataDir)]);
    expect(await assistant.router.call('window.show', { conversationId: 'gone' })).toMatchObject({ ok: false, error: { code: 'not_found' } });
  });

  it('the main window’s place and conversation are kept for the next launch', async () => {
    const conversation = await call('conversations.create', {});
    await call('window.setOpenConversation', { conversationId: conversation.id });
    assistant.preferences.saveWindowBounds({ x: 10, y: 20, width: 900, height: 700, maximized: true });
    await assistant.dispose();
    assistant = start();
    expect(assistant.preferences.openConversation()).toBe(conversation.id);
    expect(assistant.preferences.windowBounds()).toEqual({ x: 10, y: 20, width: 900, height: 700, maximized: true });
    await call('conversations.delete', { id: conversation.id });
    expect(assistant.preferences.openConversation()).toBeNull();
  });
});
