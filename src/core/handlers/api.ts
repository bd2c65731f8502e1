/**
 * api.*: the local OpenAI-compatible API server's settings and request log. Not built yet:
 * the server stays off until src/core/api lands (issue 15).
 */
import { DEFAULT_API_PORT, type ApiStatus } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import type { Handlers } from '../../shared/router';

export type ApiProcedure = 'api.status' | 'api.configure' | 'api.rotateKey' | 'api.requests';

export function apiHandlers(): Pick<Handlers, ApiProcedure> {
  const status = (): ApiStatus => ({ enabled: false, state: 'off', host: '127.0.0.1', port: DEFAULT_API_PORT, url: null, key: '', origins: [], saveHistory: false, error: null, freePort: null });
  const unavailable = (): never => {
    throw new BurrowError('refused', 'This Burrow has no local API server yet.');
  };
  return { 'api.status': status, 'api.configure': unavailable, 'api.rotateKey': unavailable, 'api.requests': () => [] };
}
