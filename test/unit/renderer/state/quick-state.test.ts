/**
 * QuickState over the typed client and a fake transport (the state machine is what is tested):
 * an answer whose events beat quick.ask's reply, cancel, errors, and dismiss.
 */
import { describe, expect, it } from 'vitest';
import { createClient, type GenerationEnd } from '../../../../src/shared/client';
import { DEFAULT_APP_SETTINGS } from '../../../../src/shared/app-settings';
import type { ChatStarted } from '../../../../src/shared/contract';
import type { Result } from '../../../../src/shared/errors';
import { FakeTransport } from '../../../support/fake-transport';
import { QuickState } from '../../../../src/renderer/lib/quick-state.svelte';
import type { SettingsState } from '../../../../src/renderer/lib/settings.svelte';

class FakeCore extends FakeTransport {
  /** Runs inside quick.ask, before it answers (the core streams at once). */
  duringAsk: () => void = () => undefined;
  askResult: Result<unknown> = { ok: true, value: started('g1') };

  override answer(name: string): Result<unknown> {
    if (name === 'quick.ask') {
      this.duringAsk();
      return this.askResult;
    }
    if (name === 'quick.dismiss') return { ok: true, value: { hidden: false } };
    return { ok: true, value: { cancelled: true } };
  }

  end(generationId: string, reason: GenerationEnd['reason'], extra: Partial<GenerationEnd> = {}): void {
    this.emit('generation.end', { generationId, conversationId: 'c1', messageId: 'a1', reason, ...extra });
  }
}

function started(generationId: string): ChatStarted {
  const message = { conversationId: 'c1', createdAt: 1, error: null, parentId: null, siblingIndex: 0, siblingCount: 1, model: null, references: [] };
  return {
    generationId,
    userMessage: { ...message, id: 'u1', role: 'user', content: 'hi', status: 'complete' },
    assistantMessage: { ...message, id: 'a1', role: 'assistant', content: '', status: 'streaming' },
  } as unknown as ChatStarted;
}

function setup(): { core: FakeCore; quick: QuickState } {
  const core = new FakeCore();
  const settings = { current: DEFAULT_APP_SETTINGS } as unknown as SettingsState;
  return { core, quick: new QuickState(settings, createClient(core)) };
}

const settled = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('QuickState', () => {
  it('shows an answer whose deltas and end arrived before quick.ask answered', async () => {
    const { core, quick } = setup();
    core.duringAsk = () => {
      core.emit('generation.delta', { generationId: 'g1', seq: 0, text: 'Early ' });
      core.emit('generation.delta', { generationId: 'g1', seq: 1, text: 'answer' });
      core.end('g1', 'done');
    };
    expect(await quick.ask('hi')).toBe(true);
    await settled();
    expect(quick.answer).toBe('Early answer');
    expect(quick.phase).toBe('done');
    expect(quick.conversationId).toBe('c1');
  });

  it('remembers an answer that stopped at its token limit until the next question', async () => {
    const { core, quick } = setup();
    await quick.ask('hi');
    expect(quick.tokenLimit).toBeNull();
    core.end('g1', 'done', { tokenLimit: 5 });
    await settled();
    expect(quick.phase).toBe('done');
    expect(quick.tokenLimit).toBe(5);
    core.askResult = { ok: true, value: started('g2') };
    await quick.ask('more');
    expect(quick.tokenLimit).toBeNull();
    core.end('g2', 'cancelled', { tokenLimit: 5 });
    await settled();
    expect(quick.tokenLimit).toBeNull();
  });

  it('streams deltas in seq order and ignores other generations', async () => {
    const { core, quick } = setup();
    await quick.ask('hi');
    expect(quick.phase).toBe('streaming');
    core.emit('generation.delta', { generationId: 'g1', seq: 1, text: 'world' });
    core.emit('generation.delta', { generationId: 'other', seq: 0, text: 'not this' });
    expect(quick.answer).toBe('');
    core.emit('generation.delta', { generationId: 'g1', seq: 0, text: 'hello ' });
    expect(quick.answer).toBe('hello world');
    expect(quick.busy).toBe(true);
  });

  it('cancel asks the core to stop, and the end says cancelled', async () => {
    const { core, quick } = setup();
    await quick.ask('hi');
    await quick.cancel();
    expect(core.calls).toContain('chat.cancel');
    core.end('g1', 'cancelled');
    await settled();
    expect(quick.phase).toBe('cancelled');
    expect(quick.busy).toBe(false);
  });

  it('surfaces a refused question and a failed answer', async () => {
    const { core, quick } = setup();
    core.askResult = { ok: false, error: { code: 'no_model', message: 'No model is loaded.' } };
    expect(await quick.ask('hi')).toBe(false);
    expect(quick.phase).toBe('error');
    expect(quick.error).toEqual({ code: 'no_model', message: 'No model is loaded.' });

    core.askResult = { ok: true, value: started('g2') };
    expect(await quick.ask('again')).toBe(true);
    core.end('g2', 'error', { error: { code: 'engine_stopped', message: 'The engine stopped.' } });
    await settled();
    expect(quick.phase).toBe('error');
    expect(quick.error).toEqual({ code: 'engine_stopped', message: 'The engine stopped.' });
  });

  it('dismiss forgets the conversation and ignores the old answer afterwards', async () => {
    const { core, quick } = setup();
    await quick.ask('hi');
    await quick.dismiss();
    core.emit('generation.delta', { generationId: 'g1', seq: 0, text: 'late' });
    core.end('g1', 'done');
    await settled();
    expect(quick.phase).toBe('idle');
    expect(quick.answer).toBe('');
    expect(quick.open).toBe(false);
  });
});
