/**
 * Burrow's keyboard shortcuts in the main window: which key does what (matched here, acted on
 * by app-commands.svelte) and the list the help sheet shows. One place, so the sheet and the
 * keys cannot drift apart.
 */
import { acceleratorParts } from '../../shared/accelerator';
import { hasPrimary, isMac, isTyping } from './platform';

export type KeyCommand =
  | { kind: 'open-nth'; index: number }
  | { kind: 'previous' }
  | { kind: 'next' }
  | { kind: 'search' }
  | { kind: 'stop' }
  | { kind: 'regenerate' }
  | { kind: 'copy-last' }
  | { kind: 'focus-composer' }
  | { kind: 'settings' }
  | { kind: 'sidebar' }
  | { kind: 'help' };

/** The command a key press asks for, or null. New chat (⌘/Ctrl+N) is App's own. */
export function keyCommand(event: KeyboardEvent): KeyCommand | null {
  if (event.isComposing) return null;
  const primary = hasPrimary(event);
  const key = event.key;
  if (primary && !event.shiftKey && !event.altKey) {
    if (/^[1-9]$/.test(key)) return { kind: 'open-nth', index: Number(key) - 1 };
    if (key.toLowerCase() === 'k') return { kind: 'search' };
    if (key === ',') return { kind: 'settings' };
    if (key.toLowerCase() === 'b') return { kind: 'sidebar' };
    if (key === '/') return { kind: 'help' };
  }
  if (primary && event.shiftKey && !event.altKey) {
    if (event.code === 'KeyR') return { kind: 'regenerate' };
    if (event.code === 'KeyC') return { kind: 'copy-last' };
  }
  if (event.altKey && !event.ctrlKey && !event.metaKey && !event.shiftKey) {
    if (key === 'ArrowUp') return { kind: 'previous' };
    if (key === 'ArrowDown') return { kind: 'next' };
  }
  if (key === 'Escape' && !event.ctrlKey && !event.metaKey && !event.altKey) return event.shiftKey ? { kind: 'focus-composer' } : { kind: 'stop' };
  if (key === '?' && !primary && !event.altKey && !isTyping(event.target)) return { kind: 'help' };
  return null;
}

const P = isMac ? '⌘' : 'Ctrl';
const SHIFT = isMac ? '⇧' : 'Shift';
const ALT = isMac ? '⌥' : 'Alt';

/** Keys as the help sheet shows them, one <kbd> each. */
export interface ShortcutEntry {
  /** Alternatives (or, with joiner 'to', the ends of a range), each a list of keys pressed together. */
  keys: string[][];
  joiner?: 'or' | 'to';
  action: string;
}

export interface ShortcutGroup {
  title: string;
  entries: ShortcutEntry[];
}

export function shortcutGroups(quickShortcut: string | null): ShortcutGroup[] {
  return [
    {
      title: 'Conversations',
      entries: [
        { keys: [[P, 'N']], action: 'New chat' },
        { keys: [[P, '1'], [P, '9']], joiner: 'to', action: 'Open the 1st to 9th conversation in the list' },
        { keys: [[ALT, '↑'], [ALT, '↓']], action: 'Previous or next conversation' },
        { keys: [[P, 'K']], action: 'Search your conversations' },
      ],
    },
    {
      title: 'Writing and answers',
      entries: [
        { keys: [['Enter']], action: 'Send' },
        { keys: [[SHIFT, 'Enter']], action: 'New line' },
        { keys: [['Esc']], action: 'Stop the answer being written' },
        { keys: [[P, SHIFT, 'R']], action: 'Write the last answer again' },
        { keys: [[P, SHIFT, 'C']], action: 'Copy the last answer' },
        { keys: [[SHIFT, 'Esc']], action: 'Go to the message box' },
      ],
    },
    {
      title: 'Burrow',
      entries: [
        ...(quickShortcut !== null ? [{ keys: [acceleratorParts(quickShortcut, isMac)], action: 'Quick prompt, from any app' }] : []),
        { keys: [[P, ',']], action: 'Settings' },
        { keys: [[P, 'B']], action: 'Show or hide the sidebar' },
        { keys: [['?'], [P, '/']], action: 'This list of shortcuts' },
      ],
    },
  ];
}
