/**
 * The local API's HTTP gates on a real server (loopback, the real core, the tiny model): auth,
 * the Host header, CORS, body cap, malformed JSON, unsupported parameters, unknown models and
 * paths — each with its status and an OpenAI-shaped error, through the official `openai` client
 * where it can say it and raw HTTP where it cannot.
 */
import { request as httpRequest } from 'node:http';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawRequest, startApiHarness, type ApiHarness, type OpenAiErrorShape } from '../support/api-server';

let api: ApiHarness;
const ORIGIN = 'http://localhost:5173';

beforeAll(async () => {
  api = await startApiHarness({ origins: [ORIGIN] });
}, 60_000);
afterAll(async () => api?.close());

async function errorOf(response: Response): Promise<OpenAiErrorShape['error']> {
  const body = (await response.json()) as OpenAiErrorShape;
  expect(Object.keys(body.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  return body.error;
}

/** A request with a Host header of our choosing (fetch will not send one). */
function withHost(host: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const request = httpRequest({ host: '127.0.0.1', port: api.port, path: '/v1/models', headers: { Host: host, Authorization: `Bearer ${api.key}` } }, (response) => {
      let body = '';
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }));
    });
    request.on('error', reject);
    request.end();
  });
}

const chatBody = (extra: Record<string, unknown> = {}) => JSON.stringify({ model: 'burrow', messages: [{ role: 'user', content: 'hi' }], ...extra });
const postChat = (body: string, headers: Record<string, string> = {}) =>
  rawRequest(api, '/chat/completions', { method: 'POST', body, headers: { 'Content-Type': 'application/json', ...headers } });

describe('local API: models and auth', () => {
  it('/v1/models lists the model Burrow is using, through the openai client', async () => {
    const page = await api.openai.models.list();
    expect(page.data).toEqual([expect.objectContaining({ id: expect.stringMatching(/\.gguf$/), object: 'model', owned_by: 'burrow' })]);
  });

  it('refuses a missing or wrong key with 401 in OpenAI\'s shape', async () => {
    const wrong = new OpenAI({ baseURL: api.url, apiKey: 'sk-burrow-not-the-key', maxRetries: 0 });
    await expect(wrong.models.list()).rejects.toMatchObject({ status: 401, code: 'invalid_api_key', type: 'authentication_error' });
    const missing = await fetch(`${api.url}/models`);
    expect(missing.status).toBe(401);
    expect(await errorOf(missing)).toMatchObject({ code: 'missing_api_key' });
  });

  it('refuses a Host header that does not name this server (DNS rebinding) with 403', async () => {
    expect((await withHost(`evil.example:${api.port}`)).status).toBe(403);
    expect(JSON.parse((await withHost(`evil.example:${api.port}`)).body)).toMatchObject({ error: { code: 'host_not_allowed' } });
    expect((await withHost(`127.0.0.1:${api.port + 1}`)).status).toBe(403);
    expect((await withHost(`localhost:${api.port}`)).status).toBe(200);
    expect((await withHost(`[::1]:${api.port}`)).status).toBe(200);
  });

  it('an unknown model is a 404 that names the one available', async () => {
    const served = (await api.openai.models.list()).data[0]?.id ?? '';
    const failed = api.openai.chat.completions.create({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] });
    await expect(failed).rejects.toMatchObject({ status: 404, code: 'model_not_found', param: 'model' });
    await expect(failed).rejects.toThrow(served);
  });

  it('an unknown path is a 404, a wrong method a 405', async () => {
    const missing = await rawRequest(api, '/files');
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toMatchObject({ type: 'not_found_error' });
    expect((await rawRequest(api, '/chat/completions')).status).toBe(405);
  });
});

describe('local API: CORS', () => {
  it('answers a listed origin\'s preflight and adds its header; sends no CORS headers to any other', async () => {
    const preflight = await fetch(`${api.url}/chat/completions`, { method: 'OPTIONS', headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization, content-type' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe(ORIGIN);
    expect(preflight.headers.get('access-control-allow-headers')).toMatch(/authorization/i);
    const listed = await rawRequest(api, '/models', { headers: { Origin: ORIGIN } });
    expect(listed.headers.get('access-control-allow-origin')).toBe(ORIGIN);

    const denied = await fetch(`${api.url}/chat/completions`, { method: 'OPTIONS', headers: { Origin: 'https://evil.example', 'Access-Control-Request-Method': 'POST' } });
    expect(denied.status).toBe(403);
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    const other = await rawRequest(api, '/models', { headers: { Origin: 'https://evil.example' } });
    expect(other.status).toBe(200);
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('local API: malformed and unsupported requests', () => {
  it('a body over 4 MiB is a 413', async () => {
    const huge = chatBody({ user: 'x'.repeat(5 * 1024 * 1024) });
    const response = await postChat(huge);
    expect(response.status).toBe(413);
    expect(await errorOf(response)).toMatchObject({ code: 'request_too_large' });
  });

  it('malformed JSON is a 400 that says so', async () => {
    const response = await postChat('{"model": "burrow", "messages": [');
    expect(response.status).toBe(400);
    const error = await errorOf(response);
    expect(error).toMatchObject({ type: 'invalid_request_error', code: 'invalid_json' });
    expect(error.message).toMatch(/not valid JSON/);
  });

  it('a wrong field is a 400 naming it', async () => {
    const missing = await postChat(JSON.stringify({ model: 'burrow' }));
    expect(missing.status).toBe(400);
    expect(await errorOf(missing)).toMatchObject({ param: 'messages', code: 'missing_required_parameter' });
    const wrongType = await postChat(chatBody({ temperature: 'hot' }));
    expect(await errorOf(wrongType)).toMatchObject({ param: 'temperature' });
    const badRole = await postChat(JSON.stringify({ model: 'burrow', messages: [{ role: 'wizard', content: 'hi' }] }));
    expect(badRole.status).toBe(400);
    expect((await errorOf(badRole)).param).toMatch(/^messages\[0\]/);
    const notJson = await postChat(chatBody(), { 'Content-Type': 'text/plain' });
    expect(notJson.status).toBe(400);
  });

  it.each([
    ['n', { n: 2 }],
    ['logprobs', { logprobs: true }],
    ['top_logprobs', { top_logprobs: 3 }],
    ['audio', { audio: { voice: 'alloy', format: 'wav' } }],
    ['modalities', { modalities: ['text', 'audio'] }],
    ['frequency_penalty', { frequency_penalty: 0.5 }],
    ['not_a_parameter', { not_a_parameter: true }],
  ])('unsupported parameter %s is a 400 naming it', async (param, extra) => {
    const response = await postChat(chatBody(extra));
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toMatchObject({ param, type: 'invalid_request_error' });
  });

  it('image and audio content parts are a 400 naming the part, through the openai client', async () => {
    const image = api.openai.chat.completions.create({
      model: 'burrow',
      messages: [{ role: 'user', content: [{ type: 'text', text: 'what is this?' }, { type: 'image_url', image_url: { url: 'data:image/png;base64,AAAA' } }] }],
    });
    await expect(image).rejects.toMatchObject({ status: 400, param: 'messages[0].content[1].type', code: 'unsupported_parameter' });
    const audio = api.openai.chat.completions.create({
      model: 'burrow',
      messages: [{ role: 'user', content: [{ type: 'input_audio', input_audio: { data: 'AAAA', format: 'wav' } }] }],
    });
    await expect(audio).rejects.toMatchObject({ status: 400, param: 'messages[0].content[0].type' });
  });

  it('completions and embeddings refuse what they cannot do by name', async () => {
    await expect(api.openai.completions.create({ model: 'burrow', prompt: 'hi', echo: true })).rejects.toMatchObject({ status: 400, param: 'echo' });
    await expect(api.openai.completions.create({ model: 'burrow', prompt: [1, 2, 3] })).rejects.toMatchObject({ status: 400, param: 'prompt' });
    await expect(api.openai.embeddings.create({ model: 'burrow', input: 'hi', dimensions: 8 })).rejects.toMatchObject({ status: 400, param: 'dimensions' });
  });
});

describe('local API: request log', () => {
  it('records each request with its client, endpoint, status and duration, never the key', async () => {
    const before = (await api.client.call('api.requests', {})).length;
    await rawRequest(api, '/models', { headers: { 'User-Agent': 'burrow-test/1.0' } });
    const log = await api.client.call('api.requests', {});
    expect(log).toHaveLength(before + 1);
    expect(log.at(-1)).toMatchObject({ client: '127.0.0.1 burrow-test/1.0', method: 'GET', endpoint: '/v1/models', status: 200, tokens: null });
    expect(log.at(-1)?.durationMs).toBeGreaterThanOrEqual(0);
    expect(JSON.stringify(log)).not.toContain(api.key);
  });
});
