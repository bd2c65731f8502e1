/**
 * Commands other parts of the window may take over: search (the history's search box) and
 * regenerate (the answer's own button). A view registers a handler while it is shown; without
 * one, a command falls back to the element that does it, if the page has one, and otherwise
 * does nothing. ui.command events from the app menu arrive here too.
 */
export type PluggableCommand = 'search' | 'regenerate';

type Handler = () => void;

const handlers = new Map<PluggableCommand, Handler[]>();

/** The newest handler wins; returns the function that removes it. */
export function handleCommand(command: PluggableCommand, handler: Handler): () => void {
  const list = handlers.get(command) ?? [];
  list.push(handler);
  handlers.set(command, list);
  return () => {
    const current = handlers.get(command) ?? [];
    handlers.set(
      command,
      current.filter((entry) => entry !== handler),
    );
  };
}

const FALLBACKS: Record<PluggableCommand, () => boolean> = {
  search: () => {
    const input = document.querySelector<HTMLElement>('[data-testid="search-input"], [role="search"] input, input[type="search"]');
    input?.focus();
    return input !== null;
  },
  regenerate: () => {
    const buttons = document.querySelectorAll<HTMLButtonElement>('[data-testid="regenerate"]:not(:disabled)');
    const last = buttons[buttons.length - 1];
    last?.click();
    return last !== undefined;
  },
};

/** Runs a command; false when nothing on the page could do it. */
export function runCommand(command: PluggableCommand): boolean {
  const handler = handlers.get(command)?.at(-1);
  if (handler) {
    handler();
    return true;
  }
  return FALLBACKS[command]();
}
