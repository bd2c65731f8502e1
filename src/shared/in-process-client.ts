import type { Router } from './router';
import { createClient, type Client, type EventListener } from './client';

/** What the core offers a face in the same process (the assistant). */
export interface InProcessCore {
  readonly router: Router;
  subscribe(listener: EventListener): () => void;
}

/** The typed client over plain function calls: the CLI, the bench and the tests. */
export function connectInProcess(core: InProcessCore): Client {
  return createClient({
    invoke: (name, input) => core.router.call(name, input),
    on: (eventName, listener) =>
      core.subscribe((name, payload) => {
        if (name === eventName) listener(payload);
      }),
  });
}
