import { describe, expect, it } from 'vitest';
import { clipboardActions, clipboardPrompt, DEFAULT_APP_SETTINGS, MAX_DEFAULT_SYSTEM_PROMPT_CHARS } from '../../../src/shared/app-settings';
import { AppSettings, MAX_SYSTEM_PROMPT_CHARS } from '../../../src/shared/contract';
import { MAX_MESSAGE_CHARS } from '../../../src/shared/limits';

const settings = { translateTo: 'French', promptTemplates: [{ id: 'kind', name: 'Make it kinder', prompt: 'Rewrite kindly: {text}' }, { id: 'tldr', name: 'TL;DR', prompt: 'One line, please.' }] };

describe('preferences', () => {
  it('the defaults are valid settings: launch at login off, quick prompts saved, Esc does not stop answers', () => {
    expect(AppSettings.parse(DEFAULT_APP_SETTINGS)).toEqual(DEFAULT_APP_SETTINGS);
    expect(DEFAULT_APP_SETTINGS).toMatchObject({ launchAtLogin: false, saveQuickPrompts: true, escCancelsQuickAnswer: false, shortcut: 'CommandOrControl+Shift+Space', theme: 'system' });
    // The renderer's limit (no zod there) is the contract's.
    expect(MAX_DEFAULT_SYSTEM_PROMPT_CHARS).toBe(MAX_SYSTEM_PROMPT_CHARS);
  });

  it('refuses a malformed shortcut and unknown keys', () => {
    expect(AppSettings.partial().safeParse({ shortcut: 'J' }).success).toBe(false);
    expect(AppSettings.partial().safeParse({ colour: 'red' }).success).toBe(false);
    expect(AppSettings.partial().safeParse({ temperature: 3 }).success).toBe(false);
  });
});

describe('"Use clipboard" actions', () => {
  it('built-in ones first (Translate names the language), then the user’s templates', () => {
    expect(clipboardActions(settings).map((action) => [action.id, action.label])).toEqual([
      ['summarise', 'Summarise'],
      ['explain', 'Explain'],
      ['translate', 'Translate to French'],
      ['fix-grammar', 'Fix grammar'],
      ['template:kind', 'Make it kinder'],
      ['template:tldr', 'TL;DR'],
    ]);
  });

  it('an action’s instruction with the text quoted below it', () => {
    const { text, truncatedTo } = clipboardPrompt({ actionId: 'translate' }, '  Bonjour  ', settings);
    expect(text).toBe('Translate the following text into French. Reply with the translation only.\n\n"""\nBonjour\n"""');
    expect(truncatedTo).toBeNull();
  });

  it('a template’s {text} takes the text in place; without it the text goes below', () => {
    expect(clipboardPrompt({ actionId: 'template:kind' }, 'Go away.', settings).text).toBe('Rewrite kindly: Go away.');
    expect(clipboardPrompt({ actionId: 'template:tldr' }, 'Long text', settings).text).toBe('One line, please.\n\n"""\nLong text\n"""');
    expect(clipboardPrompt({ instruction: 'Make a haiku of it' }, 'Rabbits', settings).text).toBe('Make a haiku of it\n\n"""\nRabbits\n"""');
  });

  it('clipboard text too long for one message is cut to fit, and says so', () => {
    const huge = 'a'.repeat(MAX_MESSAGE_CHARS * 2);
    const prompt = clipboardPrompt({ actionId: 'summarise' }, huge, settings);
    expect(prompt.text.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
    expect(prompt.truncatedTo).toBeGreaterThan(MAX_MESSAGE_CHARS - 200);
    const twice = clipboardPrompt({ actionId: 'template:twice' }, huge, { ...settings, promptTemplates: [{ id: 'twice', name: 'Twice', prompt: '{text} and {text}' }] });
    expect(twice.text.length).toBeLessThanOrEqual(MAX_MESSAGE_CHARS);
  });
});
