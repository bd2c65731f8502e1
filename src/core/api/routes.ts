/** The API's endpoints, by method and path. */
import { ApiError } from './api-errors';
import type { Exchange } from './exchange';
import type { RouteContext } from './server';
import { servedModel } from './served-model';
import { chatCompletions, completions } from './completions';
import { embeddings } from './embeddings';

type Route = (exchange: Exchange, context: RouteContext) => Promise<void>;

const routes: Record<string, Partial<Record<string, Route>>> = {
  '/v1/models': { GET: listModels },
  '/v1/chat/completions': { POST: chatCompletions },
  '/v1/completions': { POST: completions },
  '/v1/embeddings': { POST: embeddings },
};

export async function route(exchange: Exchange, context: RouteContext): Promise<void> {
  const methods = routes[exchange.path.replace(/\/+$/, '')];
  if (methods === undefined) {
    throw new ApiError(404, 'not_found_error', `Burrow's API has no ${exchange.path}. It serves /v1/models, /v1/chat/completions, /v1/completions and /v1/embeddings.`, { code: 'unknown_url' });
  }
  const handler = methods[exchange.request.method ?? ''];
  if (handler === undefined) {
    throw new ApiError(405, 'invalid_request_error', `${exchange.path} answers ${Object.keys(methods).join(', ')}, not ${exchange.request.method ?? 'this method'}.`, { code: 'method_not_allowed' });
  }
  await handler(exchange, context);
}

async function listModels(exchange: Exchange, { client }: RouteContext): Promise<void> {
  const served = await servedModel(client);
  const data = served === null ? [] : [{ id: served.id, object: 'model', created: served.created, owned_by: 'burrow' }];
  exchange.sendJson(200, { object: 'list', data });
}
