/** Which keyboard conventions apply: ⌘ on macOS, Ctrl elsewhere. */
export const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.userAgent);

/** The primary modifier of a key press (⌘ on macOS, Ctrl elsewhere), and no other primary one. */
export function hasPrimary(event: KeyboardEvent): boolean {
  return isMac ? event.metaKey && !event.ctrlKey : event.ctrlKey && !event.metaKey;
}

/** "⌘" on macOS, "Ctrl+" elsewhere: put before a key's name. */
export const primaryLabel = isMac ? '⌘' : 'Ctrl+';

/** Whether focus is in a place that takes typed text (so single-key shortcuts stay out of its way). */
export function isTyping(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable) return true;
  if (target instanceof HTMLTextAreaElement || target instanceof HTMLSelectElement) return true;
  if (target instanceof HTMLInputElement) return !['button', 'checkbox', 'radio', 'range', 'submit', 'reset', 'color', 'file'].includes(target.type);
  return false;
}
