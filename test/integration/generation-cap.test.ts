/**
 * A flood of questions (300 quick.ask at once) is not queued without end: past MAX_GENERATIONS
 * answers running or waiting, Burrow answers `busy` with a plain message, makes no conversation
 * for the refused ones, and takes questions again once an answer ends.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import type { EventPayload } from '../../src/shared/contract';
import { MAX_GENERATIONS } from '../../src/shared/limits';
import { streamingModelPath } from '../support/tiny-model';

let dataDir: string;
let assistant: Assistant;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'burrow-cap-'));
  assistant = createAssistant({
    dataDir,
    spawnEngine: spawnNodeEngine(),
    engineSettings: { maxTokens: 1500, seed: 3 },
    pickModelFile: () => Promise.resolve(streamingModelPath()),
  });
});

afterEach(async () => {
  await assistant.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

function ended(generationId: string): Promise<EventPayload<'generation.end'>> {
  return new Promise((resolve) => {
    const unsubscribe = assistant.subscribe((name, payload) => {
      if (name === 'generation.end' && (payload as EventPayload<'generation.end'>).generationId === generationId) {
        unsubscribe();
        resolve(payload as EventPayload<'generation.end'>);
      }
    });
  });
}

describe('generations are capped', () => {
  it('300 quick questions at once: a few accepted, the rest busy, nothing left behind', async () => {
    expect(await assistant.router.call('models.openLocal', {})).toMatchObject({ ok: true });
    const results = await Promise.all(Array.from({ length: 300 }, (_, i) => assistant.router.call('quick.ask', { conversationId: null, text: `Question ${i}` })));
    const accepted = results.flatMap((result) => (result.ok ? [result.value as { generationId: string }] : []));
    const refused = results.filter((result) => !result.ok);
    expect(accepted).toHaveLength(MAX_GENERATIONS);
    expect(refused).toHaveLength(300 - MAX_GENERATIONS);
    for (const result of refused) {
      expect(result).toMatchObject({ ok: false, error: { code: 'busy', message: expect.stringMatching(/already writing \d+ answers\. Wait for one to finish, or stop one/) } });
    }
    // Only the accepted questions made conversations.
    expect(assistant.conversations.list()).toHaveLength(MAX_GENERATIONS);
    // In one conversation too: another question while four are running is refused.
    const chat = assistant.conversations.create('Regular chat');
    expect(await assistant.router.call('chat.send', { conversationId: chat.id, text: 'One more' })).toMatchObject({ ok: false, error: { code: 'busy' } });

    // Once one ends, Burrow takes a question again.
    const first = accepted[0]!;
    const end = ended(first.generationId);
    expect(await assistant.router.call('chat.cancel', { generationId: first.generationId })).toMatchObject({ ok: true });
    await end;
    expect(await assistant.router.call('chat.send', { conversationId: chat.id, text: 'Now?' })).toMatchObject({ ok: true });
  }, 60_000);
});
