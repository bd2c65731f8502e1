/** api.*: the local OpenAI-compatible API server's settings, key and request log (src/core/api). */
import type { Handlers } from '../../shared/router';
import type { ApiService } from '../api/api-service';

export type ApiProcedure = 'api.status' | 'api.configure' | 'api.rotateKey' | 'api.requests';

export function apiHandlers(api: ApiService): Pick<Handlers, ApiProcedure> {
  return {
    'api.status': () => api.status(),
    'api.configure': (patch) => api.configure(patch),
    'api.rotateKey': () => api.rotateKey(),
    'api.requests': () => api.requests(),
  };
}
