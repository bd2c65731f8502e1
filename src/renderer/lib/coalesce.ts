/**
 * A reload that may be asked for again while it runs (a list refreshed on every change event):
 * calls that arrive during a run fold into one more run after it, and every caller's promise
 * settles when the runs it may have missed are done.
 */
export function coalesce(run: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | null = null;
  let again = false;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      do {
        again = false;
        await run();
      } while (again);
    })().finally(() => {
      running = null;
    });
    return running;
  };
}
