/**
 * One HTTP request and its answer: reading a capped JSON body, answering JSON or server-sent
 * events, and noticing when the client goes away (its signal aborts at once).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ApiError, invalidRequest } from './api-errors';

/** Past this many bytes a body is refused with 413 and no longer read. */
export const MAX_BODY_BYTES = 4 * 1024 * 1024;
/** A body sent on past the cap is drained up to this much (so the client reads the 413), then the connection is cut. */
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;

export class Exchange {
  readonly request: IncomingMessage;
  readonly response: ServerResponse;
  readonly startedAt = Date.now();
  /** Prompt + generated tokens, when the request ran the model (the request log). */
  tokens: number | null = null;
  readonly #gone = new AbortController();

  constructor(request: IncomingMessage, response: ServerResponse) {
    this.request = request;
    this.response = response;
    response.on('close', () => {
      if (!response.writableFinished) this.#gone.abort();
    });
  }

  /** Aborts when the client disconnects before the answer is complete. */
  get signal(): AbortSignal {
    return this.#gone.signal;
  }

  get path(): string {
    const url = this.request.url ?? '/';
    const query = url.indexOf('?');
    return (query === -1 ? url : url.slice(0, query)).slice(0, 200);
  }

  async readJson(maxBytes = MAX_BODY_BYTES): Promise<unknown> {
    const type = this.request.headers['content-type'] ?? '';
    if (!/^application\/json\b/i.test(type)) {
      this.#drain();
      throw invalidRequest('Send the body as JSON, with "Content-Type: application/json".', null, 'invalid_content_type');
    }
    const declared = Number(this.request.headers['content-length'] ?? 0);
    if (declared > maxBytes) {
      this.#drain();
      throw tooLarge(maxBytes);
    }
    const text = await this.#readText(maxBytes);
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw invalidRequest(`The body is not valid JSON: ${(error as Error).message}`, null, 'invalid_json');
    }
  }

  #readText(maxBytes: number): Promise<string> {
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const onData = (chunk: Buffer): void => {
        size += chunk.length;
        if (size <= maxBytes) {
          chunks.push(chunk);
          return;
        }
        this.request.off('data', onData);
        this.#drain();
        reject(tooLarge(maxBytes));
      };
      this.request.on('data', onData);
      this.request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      this.request.on('error', reject);
    });
  }

  /** Reads and drops the rest of a refused body, so the client is still listening when the error arrives. */
  #drain(): void {
    let drained = 0;
    this.request.on('data', (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > MAX_DRAIN_BYTES) this.request.destroy();
    });
    this.request.resume();
  }

  sendJson(status: number, body: unknown, headers: Record<string, string> = {}): void {
    if (this.response.headersSent || this.response.destroyed) return;
    const text = JSON.stringify(body);
    this.response.writeHead(status, { ...headers, 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) });
    this.response.end(text);
  }

  sendError(error: ApiError): void {
    if (this.response.headersSent) {
      // Mid-stream: OpenAI's clients read an error event and raise it.
      this.sendEvent(error.body());
      this.response.end();
      return;
    }
    this.sendJson(error.status, error.body(), error.headers);
  }

  startStream(): void {
    this.response.writeHead(200, { 'Content-Type': 'text/event-stream; charset=utf-8', 'Cache-Control': 'no-cache', Connection: 'keep-alive', 'X-Accel-Buffering': 'no' });
    this.response.flushHeaders();
  }

  sendEvent(data: unknown): void {
    if (!this.response.writableEnded) this.response.write(`data: ${JSON.stringify(data)}\n\n`);
  }

  endStream(): void {
    if (this.response.writableEnded) return;
    this.response.write('data: [DONE]\n\n');
    this.response.end();
  }
}

function tooLarge(maxBytes: number): ApiError {
  return new ApiError(413, 'invalid_request_error', `The body is larger than ${Math.round(maxBytes / 1024 / 1024)} MiB, the most Burrow accepts.`, { code: 'request_too_large' });
}
