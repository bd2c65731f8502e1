/**
 * remote.*: Settings → Engine → "Use a server". Not built yet: answers always come from the
 * local model until the remote engine lands (issue 15).
 */
import type { RemoteEngineStatus } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import type { Handlers } from '../../shared/router';

export type RemoteProcedure = 'remote.status' | 'remote.configure' | 'remote.test';

export function remoteHandlers(): Pick<Handlers, RemoteProcedure> {
  const status = (): RemoteEngineStatus => ({ enabled: false, url: null, hasKey: false, model: null, error: null });
  const unavailable = (): never => {
    throw new BurrowError('refused', 'This Burrow cannot use a server yet.');
  };
  return { 'remote.status': status, 'remote.configure': unavailable, 'remote.test': unavailable };
}
