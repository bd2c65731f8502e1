/**
 * A stand-in for a remote OpenAI-compatible server (llama-server, vLLM, Ollama, `burrow serve`
 * on another machine) on 127.0.0.1: GET /v1/models and POST /v1/chat/completions, whole or
 * streamed as server-sent events ending with `data: [DONE]`. It misbehaves on request — a
 * connection dropped mid-answer, a refusal (401/404/500), garbage in the stream, a stall — and
 * records every request it saw, so the remote engine can be tested without the network.
 * It is not Burrow's code: it plays the other machine.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type OpenAiFault =
  /** The answer starts streaming, then the connection is destroyed after `afterChunks` pieces. */
  | { kind: 'drop'; afterChunks: number }
  /** An OpenAI-shaped error with this status (401 bad key, 404 no such model, 500 …). */
  | { kind: 'status'; status: number; message?: string }
  /** A few good pieces, then a line that is not JSON. */
  | { kind: 'garbage'; afterChunks: number }
  /** 200 with an HTML page instead of an event stream. */
  | { kind: 'html' }
  /** A few pieces, then nothing (the connection stays open until the client goes). */
  | { kind: 'stall'; afterChunks: number };

export interface SeenOpenAiRequest {
  method: string;
  path: string;
  authorization: string | undefined;
  /** Header names as sent (lower case). */
  headers: string[];
  body: unknown;
}

export interface OpenAiServerOptions {
  models?: string[];
  /** When set, requests without `Authorization: Bearer <apiKey>` get a 401. */
  apiKey?: string;
  /** The answer to a chat, given its messages. Default: a fixed sentence naming the last question. */
  reply?: (messages: { role: string; content: string }[]) => string;
  /** Pause between streamed pieces. Default 5 ms. */
  chunkDelayMs?: number;
  /** Extra fields on each model in /v1/models (e.g. vLLM's max_model_len). */
  modelFields?: Record<string, unknown>;
}

export interface OpenAiServer {
  /** http://127.0.0.1:PORT/v1 */
  readonly baseUrl: string;
  readonly requests: SeenOpenAiRequest[];
  /** Chat requests whose client went away before the answer was finished. */
  readonly abandoned: number;
  /** The next `times` chat requests meet this fault. */
  inject(fault: OpenAiFault, times?: number): void;
  setChunkDelay(ms: number): void;
  /** Resolves once `count` chat requests have been seen. */
  waitForChats(count: number): Promise<void>;
  close(): Promise<void>;
}

export async function startOpenAiServer(options: OpenAiServerOptions = {}): Promise<OpenAiServer> {
  const models = options.models ?? ['loopback-model'];
  const requests: SeenOpenAiRequest[] = [];
  const faults: OpenAiFault[] = [];
  const sockets = new Set<Socket>();
  const waiters: { count: number; resolve: () => void }[] = [];
  let chunkDelay = options.chunkDelayMs ?? 5;
  let abandoned = 0;
  const chats = (): number => requests.filter((request) => request.path === '/v1/chat/completions').length;

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const body = await readBody(request);
    const path = (request.url ?? '/').split('?')[0] ?? '/';
    requests.push({ method: request.method ?? 'GET', path, authorization: request.headers.authorization, headers: Object.keys(request.headers), body });
    for (const waiter of [...waiters]) {
      if (chats() >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
    }
    if (options.apiKey !== undefined && request.headers.authorization !== `Bearer ${options.apiKey}`) {
      sendError(response, 401, 'Invalid API key.', 'invalid_api_key');
      return;
    }
    if (request.method === 'GET' && path === '/v1/models') {
      const data = models.map((id) => ({ id, object: 'model', created: 1_700_000_000, owned_by: 'loopback', ...options.modelFields }));
      sendJson(response, 200, { object: 'list', data });
      return;
    }
    if (request.method === 'POST' && path === '/v1/chat/completions') {
      await chat(response, body, faults.shift());
      return;
    }
    sendError(response, 404, `No route ${request.method ?? ''} ${path}.`, 'not_found');
  };

  const chat = async (response: ServerResponse, body: unknown, fault: OpenAiFault | undefined): Promise<void> => {
    const parsed = body as { model?: unknown; messages?: { role: string; content: string }[]; stream?: boolean; stream_options?: { include_usage?: boolean } } | null;
    if (parsed === null || !Array.isArray(parsed.messages)) {
      sendError(response, 400, 'messages is required.', 'invalid_request_error');
      return;
    }
    if (fault?.kind === 'status') {
      sendError(response, fault.status, fault.message ?? `Refused with ${fault.status}.`, 'server_error');
      return;
    }
    if (typeof parsed.model !== 'string' || !models.includes(parsed.model)) {
      sendError(response, 404, `The model '${String(parsed.model)}' does not exist.`, 'model_not_found');
      return;
    }
    if (fault?.kind === 'html') {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<html><body>Proxy error</body></html>');
      return;
    }
    const text = (options.reply ?? defaultReply)(parsed.messages);
    const pieces = text.match(/\S+\s*/g) ?? [];
    const base = { id: 'chatcmpl-loopback', created: 1_700_000_000, model: parsed.model };
    if (parsed.stream !== true) {
      sendJson(response, 200, {
        ...base,
        object: 'chat.completion',
        choices: [{ index: 0, message: { role: 'assistant', content: text }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 10, completion_tokens: pieces.length, total_tokens: 10 + pieces.length },
      });
      return;
    }
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    let gone = false;
    response.on('close', () => {
      if (!response.writableFinished) {
        gone = true;
        abandoned++;
      }
    });
    const send = (data: unknown): void => {
      response.write(`data: ${JSON.stringify(data)}\n\n`);
    };
    send({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    for (const [index, piece] of pieces.entries()) {
      if (gone) return;
      if (fault !== undefined && 'afterChunks' in fault && index === fault.afterChunks) {
        if (fault.kind === 'drop') response.socket?.destroy();
        if (fault.kind === 'garbage') response.end('data: {"choices": [ this is not json\n\n');
        return; // 'stall': nothing more, the connection stays open
      }
      send({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] });
      await new Promise((resolve) => setTimeout(resolve, chunkDelay));
    }
    send({ ...base, object: 'chat.completion.chunk', choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
    if (parsed.stream_options?.include_usage === true) {
      send({ ...base, object: 'chat.completion.chunk', choices: [], usage: { prompt_tokens: 10, completion_tokens: pieces.length, total_tokens: 10 + pieces.length } });
    }
    response.end('data: [DONE]\n\n');
  };

  const server = createServer((request, response) => {
    handle(request, response).catch(() => response.destroy());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    get abandoned() {
      return abandoned;
    },
    inject(fault, times = 1) {
      for (let i = 0; i < times; i++) faults.push(fault);
    },
    setChunkDelay(ms) {
      chunkDelay = ms;
    },
    waitForChats(count) {
      if (chats() >= count) return Promise.resolve();
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function defaultReply(messages: { role: string; content: string }[]): string {
  const last = messages.filter((message) => message.role === 'user').at(-1)?.content ?? '';
  return `The loopback server heard: ${last.slice(0, 200)}. That is all it knows.`;
}

async function readBody(request: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  for await (const part of request) parts.push(part as Buffer);
  if (parts.length === 0) return null;
  try {
    return JSON.parse(Buffer.concat(parts).toString('utf8'));
  } catch {
    return null;
  }
}

function sendJson(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

function sendError(response: ServerResponse, status: number, message: string, code: string): void {
  sendJson(response, status, { error: { message, type: 'invalid_request_error', param: null, code } });
}
