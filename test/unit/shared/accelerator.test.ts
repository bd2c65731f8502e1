import { describe, expect, it } from 'vitest';
import { acceleratorFromKeyPress, acceleratorLabel, acceleratorParts, checkAccelerator } from '../../../src/shared/accelerator';

const press = (code: string, modifiers: Partial<{ ctrlKey: boolean; metaKey: boolean; altKey: boolean; shiftKey: boolean }> = {}) => ({
  key: '',
  code,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  shiftKey: false,
  ...modifiers,
});

describe('checkAccelerator', () => {
  it('spells a shortcut canonically, whatever aliases and order were used', () => {
    expect(checkAccelerator('CmdOrCtrl+Shift+Space')).toEqual({ ok: true, accelerator: 'CommandOrControl+Shift+Space' });
    expect(checkAccelerator('shift+ctrl+k')).toEqual({ ok: true, accelerator: 'Control+Shift+K' });
    expect(checkAccelerator('Option+Enter')).toEqual({ ok: true, accelerator: 'Alt+Return' });
    expect(checkAccelerator('Ctrl++')).toEqual({ ok: true, accelerator: 'Control+Plus' });
    expect(checkAccelerator('F13')).toEqual({ ok: true, accelerator: 'F13' });
    expect(checkAccelerator('Super+,')).toEqual({ ok: true, accelerator: 'Super+,' });
  });

  it('refuses what is not one key with modifiers, and keys other apps need', () => {
    for (const bad of ['', 'Ctrl', 'Ctrl+Shift', 'Ctrl+K+J', 'K+Ctrl', 'Ctrl++K', 'Ctrl+Banana', 'Ctrl+F25', 'x'.repeat(101)]) {
      expect(checkAccelerator(bad).ok, bad).toBe(false);
    }
    expect(checkAccelerator('J')).toEqual({ ok: false, message: expect.stringMatching(/Add Ctrl, Alt or ⌘/) });
    expect(checkAccelerator('Shift+J').ok).toBe(false);
  });
});

describe('recording a shortcut from a key press', () => {
  it('reads the physical key, with ⌘ (macOS) or Ctrl as the primary modifier', () => {
    expect(acceleratorFromKeyPress(press('Space', { ctrlKey: true, shiftKey: true }), false)).toBe('CommandOrControl+Shift+Space');
    expect(acceleratorFromKeyPress(press('Space', { metaKey: true, shiftKey: true }), true)).toBe('CommandOrControl+Shift+Space');
    expect(acceleratorFromKeyPress(press('KeyK', { ctrlKey: true, metaKey: true }), true)).toBe('CommandOrControl+Control+K');
    expect(acceleratorFromKeyPress(press('Digit7', { altKey: true }), false)).toBe('Alt+7');
    expect(acceleratorFromKeyPress(press('Comma', { ctrlKey: true }), false)).toBe('CommandOrControl+,');
    expect(acceleratorFromKeyPress(press('ArrowUp', { metaKey: true }), false)).toBe('Super+Up');
    expect(acceleratorFromKeyPress(press('F5'), false)).toBe('F5');
  });

  it('waits while only modifiers are held; Escape cancels', () => {
    expect(acceleratorFromKeyPress(press('ShiftLeft', { shiftKey: true }), false)).toBeNull();
    expect(acceleratorFromKeyPress(press('ControlLeft', { ctrlKey: true }), false)).toBeNull();
    expect(acceleratorFromKeyPress(press('Escape', { ctrlKey: true }), false)).toBeNull();
  });
});

describe('showing a shortcut', () => {
  it('as each system writes it', () => {
    expect(acceleratorLabel('CommandOrControl+Shift+Space', true)).toBe('⌘⇧Space');
    expect(acceleratorLabel('CommandOrControl+Shift+Space', false)).toBe('Ctrl+Shift+Space');
    expect(acceleratorLabel('Alt+Return', false)).toBe('Alt+Enter');
    expect(acceleratorParts('Control+Alt+Up', true)).toEqual(['⌃', '⌥', '↑']);
    expect(acceleratorParts('not a shortcut', false)).toEqual(['not a shortcut']);
  });
});
