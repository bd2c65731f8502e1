import type { ChatHistoryItem } from 'node-llama-cpp';

/**
 * How many user and model messages of `full` (the session's whole history) the model did not
 * see in full in `window` (the context window node-llama-cpp last evaluated, after any context
 * shift). The shift removes or shortens messages from the front and keeps the newest, so the
 * count is: all messages minus the identical tail the window still holds.
 */
export function countTruncated(full: readonly ChatHistoryItem[], window: readonly ChatHistoryItem[] | null): number {
  if (window === null) return 0;
  const messages = full.filter((item) => item.type !== 'system');
  const seen = window.filter((item) => item.type !== 'system');
  let kept = 0;
  while (kept < messages.length && kept < seen.length) {
    const a = messages[messages.length - 1 - kept];
    const b = seen[seen.length - 1 - kept];
    if (JSON.stringify(a) !== JSON.stringify(b)) break;
    kept++;
  }
  return messages.length - kept;
}
