const isMac = typeof navigator !== 'undefined' && /Mac|iPhone|iPad/.test(navigator.userAgent);

export const newChatShortcut = {
  label: isMac ? '⌘N' : 'Ctrl+N',
  matches(event: KeyboardEvent): boolean {
    const modifier = isMac ? event.metaKey : event.ctrlKey;
    return modifier && !event.shiftKey && !event.altKey && event.key.toLowerCase() === 'n';
  },
};
