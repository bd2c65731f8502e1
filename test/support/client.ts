import { connectInProcess, type InProcessCore } from '../../src/shared/in-process-client';
import type { Client } from '../../src/shared/client';

const clients = new WeakMap<InProcessCore, Client>();

/** The typed client of an assistant under test, one per assistant (its event buffer lives as long as it). */
export function clientOf(core: InProcessCore): Client {
  let client = clients.get(core);
  if (client === undefined) {
    client = connectInProcess(core);
    clients.set(core, client);
  }
  return client;
}
