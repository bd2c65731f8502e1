/**
 * Keyboard shortcuts in Electron's accelerator syntax ("CommandOrControl+Shift+Space"): checked,
 * put in one canonical spelling, recorded from a key press and shown the way each system writes
 * them. Pure: the contract, main and the renderer all use it (no zod, no DOM types).
 */

export type Modifier = 'CommandOrControl' | 'Command' | 'Control' | 'Alt' | 'AltGr' | 'Shift' | 'Super';

const MODIFIER_ALIASES: Record<string, Modifier> = {
  commandorcontrol: 'CommandOrControl',
  cmdorctrl: 'CommandOrControl',
  command: 'Command',
  cmd: 'Command',
  control: 'Control',
  ctrl: 'Control',
  alt: 'Alt',
  option: 'Alt',
  altgr: 'AltGr',
  shift: 'Shift',
  super: 'Super',
  meta: 'Super',
};

/** Canonical order, as the system menus show them. */
const MODIFIER_ORDER: readonly Modifier[] = ['CommandOrControl', 'Command', 'Control', 'Alt', 'AltGr', 'Shift', 'Super'];

const NAMED_KEYS: Record<string, string> = {
  space: 'Space',
  tab: 'Tab',
  enter: 'Return',
  return: 'Return',
  backspace: 'Backspace',
  delete: 'Delete',
  insert: 'Insert',
  home: 'Home',
  end: 'End',
  pageup: 'PageUp',
  pagedown: 'PageDown',
  up: 'Up',
  down: 'Down',
  left: 'Left',
  right: 'Right',
  esc: 'Escape',
  escape: 'Escape',
  plus: 'Plus',
  printscreen: 'PrintScreen',
};

const PUNCTUATION = new Set([',', '.', '/', ';', "'", '[', ']', '\\', '-', '=', '`']);
const MAX_ACCELERATOR_CHARS = 100;

export type AcceleratorCheck = { ok: true; accelerator: string } | { ok: false; message: string };

/**
 * Checks a shortcut and returns it spelled canonically. A global shortcut must hold a modifier
 * other than Shift (or be a function key): a bare letter would be taken from every other app.
 */
export function checkAccelerator(value: string): AcceleratorCheck {
  if (value.length === 0 || value.length > MAX_ACCELERATOR_CHARS) return { ok: false, message: 'Choose a shortcut, such as Ctrl+Shift+Space.' };
  // "Plus" names the + key; a literal "+" at the end ("Ctrl++") means the same.
  const parts = value.endsWith('++') ? [...value.slice(0, -2).split('+'), 'Plus'] : value.split('+');
  const modifiers = new Set<Modifier>();
  let key: string | null = null;
  for (const raw of parts) {
    const part = raw.trim();
    if (part === '') return { ok: false, message: `“${value}” is not a shortcut: a key is missing between the + signs.` };
    const modifier = MODIFIER_ALIASES[part.toLowerCase()];
    if (modifier !== undefined) {
      if (key !== null) return { ok: false, message: `“${value}” is not a shortcut: modifiers come before the key.` };
      modifiers.add(modifier);
      continue;
    }
    if (key !== null) return { ok: false, message: `“${value}” has two keys; a shortcut has one key and its modifiers.` };
    const canonical = canonicalKey(part);
    if (canonical === null) return { ok: false, message: `“${part}” is not a key Burrow can use in a shortcut.` };
    key = canonical;
  }
  if (key === null) return { ok: false, message: 'A shortcut needs a key besides its modifiers (Ctrl, Alt, Shift…).' };
  const strong = [...modifiers].some((modifier) => modifier !== 'Shift');
  if (!strong && !/^F\d+$/.test(key)) {
    return { ok: false, message: 'Add Ctrl, Alt or ⌘ to the shortcut, so that it does not take a key other apps need.' };
  }
  const ordered = MODIFIER_ORDER.filter((modifier) => modifiers.has(modifier));
  return { ok: true, accelerator: [...ordered, key].join('+') };
}

function canonicalKey(part: string): string | null {
  if (/^[a-z]$/i.test(part)) return part.toUpperCase();
  if (/^\d$/.test(part)) return part;
  const fKey = /^f(\d{1,2})$/i.exec(part);
  if (fKey && Number(fKey[1]) >= 1 && Number(fKey[1]) <= 24) return `F${Number(fKey[1])}`;
  if (PUNCTUATION.has(part)) return part;
  return NAMED_KEYS[part.toLowerCase()] ?? null;
}

/** The fields of a KeyboardEvent this module reads (so it needs no DOM types). */
export interface KeyPress {
  key: string;
  code: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  shiftKey: boolean;
}

const CODE_KEYS: Record<string, string> = {
  Space: 'Space',
  Tab: 'Tab',
  Enter: 'Return',
  NumpadEnter: 'Return',
  Backspace: 'Backspace',
  Delete: 'Delete',
  Insert: 'Insert',
  Home: 'Home',
  End: 'End',
  PageUp: 'PageUp',
  PageDown: 'PageDown',
  ArrowUp: 'Up',
  ArrowDown: 'Down',
  ArrowLeft: 'Left',
  ArrowRight: 'Right',
  Comma: ',',
  Period: '.',
  Slash: '/',
  Semicolon: ';',
  Quote: "'",
  BracketLeft: '[',
  BracketRight: ']',
  Backslash: '\\',
  Minus: '-',
  Equal: '=',
  Backquote: '`',
};

/**
 * The accelerator a key press spells, or null while only modifiers are held (or for Escape,
 * which cancels recording). Reads the physical key (`code`), so the shortcut does not change
 * with the keyboard layout's shifted characters. The primary modifier (⌘ on macOS, Ctrl
 * elsewhere) becomes CommandOrControl, so a shortcut moves between systems.
 */
export function acceleratorFromKeyPress(press: KeyPress, isMac: boolean): string | null {
  const key = keyOfCode(press.code);
  if (key === null || key === 'Escape') return null;
  const modifiers: Modifier[] = [];
  if (isMac ? press.metaKey : press.ctrlKey) modifiers.push('CommandOrControl');
  if (isMac && press.ctrlKey) modifiers.push('Control');
  if (press.altKey) modifiers.push('Alt');
  if (press.shiftKey) modifiers.push('Shift');
  if (!isMac && press.metaKey) modifiers.push('Super');
  return [...modifiers, key].join('+');
}

function keyOfCode(code: string): string | null {
  const letter = /^Key([A-Z])$/.exec(code);
  if (letter) return letter[1] ?? null;
  const digit = /^(?:Digit|Numpad)(\d)$/.exec(code);
  if (digit) return digit[1] ?? null;
  if (/^F\d{1,2}$/.test(code)) return canonicalKey(code);
  if (code === 'Escape') return 'Escape';
  return CODE_KEYS[code] ?? null;
}

const MAC_SYMBOLS: Record<Modifier, string> = { CommandOrControl: '⌘', Command: '⌘', Control: '⌃', Alt: '⌥', AltGr: '⌥', Shift: '⇧', Super: '⌘' };
const PC_NAMES: Record<Modifier, string> = { CommandOrControl: 'Ctrl', Command: 'Super', Control: 'Ctrl', Alt: 'Alt', AltGr: 'AltGr', Shift: 'Shift', Super: 'Super' };
const KEY_LABELS: Record<string, string> = { Return: 'Enter', Up: '↑', Down: '↓', Left: '←', Right: '→', Escape: 'Esc', Plus: '+' };

/** The keys of a shortcut as this system names them: ["⌘", "⇧", "Space"] or ["Ctrl", "Shift", "Space"]. */
export function acceleratorParts(accelerator: string, isMac: boolean): string[] {
  const checked = checkAccelerator(accelerator);
  if (!checked.ok) return [accelerator];
  const parts = checked.accelerator.split('+');
  // "Plus" is the key's name, so splitting never breaks it.
  const key = parts.pop() ?? '';
  const modifiers = parts as Modifier[];
  return [...modifiers.map((modifier) => (isMac ? MAC_SYMBOLS[modifier] : PC_NAMES[modifier])), KEY_LABELS[key] ?? key];
}

/** How the shortcut reads on this system: "⌘⇧Space" on macOS, "Ctrl+Shift+Space" elsewhere. */
export function acceleratorLabel(accelerator: string, isMac: boolean): string {
  return acceleratorParts(accelerator, isMac).join(isMac ? '' : '+');
}
