/** POST /v1/embeddings: vectors from the served model or a model file in the library. */
import { unsupportedParam } from './translate';
import { MAX_MESSAGE_CHARS } from '../../shared/limits';
import { invalidRequest } from './api-errors';
import type { Exchange } from './exchange';
import { admitOrRefuse } from './generation';
import { EmbeddingRequest, parseBody } from './openai-schemas';
import type { RouteContext } from './server';
import { resolveEmbeddingModel } from './served-model';

/** OpenAI's base64 form: the float32 values, little-endian. */
function base64Vector(vector: number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  vector.forEach((value, index) => bytes.writeFloatLE(value, index * 4));
  return bytes.toString('base64');
}

function texts(input: EmbeddingRequest['input']): string[] {
  if (typeof input === 'string') return [input];
  return input.map((entry, index) => {
    if (typeof entry !== 'string') return unsupportedParam('input', `input[${index}] is not text; send strings, not token ids.`);
    if (entry.length > MAX_MESSAGE_CHARS) throw invalidRequest(`input[${index}]: must be at most ${MAX_MESSAGE_CHARS} characters.`, 'input');
    return entry;
  });
}

export async function embeddings(exchange: Exchange, context: RouteContext): Promise<void> {
  const body = parseBody(EmbeddingRequest, await exchange.readJson());
  if (body.dimensions !== null && body.dimensions !== undefined) unsupportedParam('dimensions', "the model's own embedding width is the only one; leave it out.");
  const input = texts(body.input);
  const model = await resolveEmbeddingModel(context.client, body.model);
  admitOrRefuse(exchange, context);
  const result = await context.client.call('generate.embed', { texts: input, ...(model.path !== undefined ? { modelPath: model.path } : {}) });
  exchange.tokens = result.promptTokens;
  const base64 = body.encoding_format === 'base64';
  exchange.sendJson(200, {
    object: 'list',
    data: result.vectors.map((vector, index) => ({ object: 'embedding', index, embedding: base64 ? base64Vector(vector) : vector })),
    model: model.id,
    usage: { prompt_tokens: result.promptTokens, total_tokens: result.promptTokens },
  });
}
