/** Toasts as the window keeps them: a limit, repeats merged and counted, no title said twice. */
import { describe, expect, it } from 'vitest';
import { MAX_TOASTS, Toasts, withoutRepeatedTitle } from '../../../../src/renderer/lib/toasts.svelte';

describe('Toasts', () => {
  it('keeps at most MAX_TOASTS, dropping the oldest', () => {
    const toasts = new Toasts();
    for (let i = 1; i <= 5; i++) toasts.info(`Notice ${i}`);
    expect(toasts.items.map((toast) => toast.title)).toEqual(['Notice 3', 'Notice 4', 'Notice 5']);
    expect(toasts.items).toHaveLength(MAX_TOASTS);
  });

  it('merges a repeat anywhere in the stack into one, counted, as the newest', () => {
    const toasts = new Toasts();
    toasts.error({ code: 'model_invalid', message: 'Not a GGUF file.' });
    toasts.info('Saved');
    toasts.error({ code: 'model_invalid', message: 'Not a GGUF file.' });
    toasts.error({ code: 'model_invalid', message: 'Not a GGUF file.' });
    expect(toasts.items.map((toast) => [toast.title, toast.count])).toEqual([
      ['Saved', 1],
      ['This file isn’t a usable model', 3],
    ]);
  });

  it('does not repeat the title in the message', () => {
    const toasts = new Toasts();
    toasts.info('“x.gguf” was not added', '"x.gguf" was not added: this file is empty (0 bytes).');
    expect(toasts.items[0]?.message).toBe('This file is empty (0 bytes).');
  });
});

describe('withoutRepeatedTitle', () => {
  it('leaves a message that says something else alone, and empties one that only repeats', () => {
    expect(withoutRepeatedTitle('Could not save', 'The disk is full.')).toBe('The disk is full.');
    expect(withoutRepeatedTitle('Could not save', 'Could not save.')).toBe('');
    expect(withoutRepeatedTitle('', 'Anything')).toBe('Anything');
  });
});
