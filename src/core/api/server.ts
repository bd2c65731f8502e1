/**
 * The local OpenAI-compatible server: node:http on the address the user chose (127.0.0.1
 * unless they picked another), gates first (Host, CORS, key), then the routes. It talks to
 * the core only through the contract's client, like every other face.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Client } from '../../shared/client';
import type { ApiRequestEntry } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import { ApiError, fromCoreError } from './api-errors';
import { Exchange } from './exchange';
import { route } from './routes';
import { applyCors, checkKey, hostAllowed } from './security';

/** Model-running requests (chat, completions, embeddings) at once before the server answers 429. */
export const DEFAULT_MAX_IN_FLIGHT = 4;

export interface ServerContext {
  client: Client;
  /** Read on every request: a rotated key works (and the old one fails) at once. */
  key: () => string;
  origins: () => readonly string[];
  saveHistory: () => boolean;
  onRequest: (entry: ApiRequestEntry) => void;
  maxInFlight: number;
}

/** What routes see of the server: the core, the settings of the moment and the in-flight bound. */
export interface RouteContext extends ServerContext {
  /** Counts one model-running request until its exchange closes; false past the bound. */
  admit: (exchange: Exchange) => boolean;
}

export class ApiServer {
  readonly host: string;
  readonly #server: Server;
  readonly #context: RouteContext;
  #inFlight = 0;
  #port: number;

  constructor(host: string, port: number, context: ServerContext) {
    this.host = host;
    this.#port = port;
    this.#context = { ...context, admit: (exchange) => this.#admit(exchange) };
    this.#server = createServer({ requestTimeout: 0, headersTimeout: 30_000 }, (request, response) => {
      void this.#handle(request, response);
    });
  }

  get port(): number {
    return this.#port;
  }

  /** Rejects with the listen error (EADDRINUSE for a taken port, EADDRNOTAVAIL for an address that is not this machine's). */
  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.#server.once('error', onError);
      this.#server.listen({ host: this.host, port: this.#port, exclusive: true }, () => {
        this.#server.off('error', onError);
        this.#port = (this.#server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** Stops listening and cuts every connection: answers still running are cancelled by their exchanges. */
  close(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.#server.listening) {
        resolve();
        return;
      }
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  #admit(exchange: Exchange): boolean {
    if (this.#inFlight >= this.#context.maxInFlight) return false;
    this.#inFlight += 1;
    exchange.response.once('close', () => (this.#inFlight -= 1));
    return true;
  }

  async #handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const exchange = new Exchange(request, response);
    response.once('close', () => this.#log(exchange));
    try {
      if (!hostAllowed(request.headers.host, this.host, this.#port)) {
        throw new ApiError(403, 'permission_error', 'This Host header does not name this server. Call it by the address it listens on (for example http://127.0.0.1:1337/v1).', { code: 'host_not_allowed' });
      }
      if (applyCors(request, response, this.#context.origins())) return;
      checkKey(request.headers.authorization, this.#context.key());
      await route(exchange, this.#context);
    } catch (error) {
      exchange.sendError(asApiError(error));
    }
  }

  #log(exchange: Exchange): void {
    const { request, response } = exchange;
    const agent = request.headers['user-agent'];
    const address = request.socket.remoteAddress ?? 'unknown';
    this.#context.onRequest({
      at: exchange.startedAt,
      client: agent ? `${address} ${agent.slice(0, 100)}` : address,
      method: (request.method ?? '?').slice(0, 16),
      endpoint: exchange.path,
      // A client that left before the answer was complete: nginx's 499, "client closed request".
      status: response.writableFinished ? response.statusCode : 499,
      tokens: exchange.tokens,
      durationMs: Date.now() - exchange.startedAt,
    });
  }
}

/** What a route threw, as the API answers it: its own errors as they are, the core's mapped, anything else a 500. */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  if (error instanceof BurrowError && error.code !== 'internal') return fromCoreError(error.toValue());
  return internalError(error);
}

function internalError(error: unknown): ApiError {
  console.error('[burrow] API request failed:', error);
  return new ApiError(500, 'server_error', 'Something went wrong inside Burrow while answering. Try again; if it keeps happening, restart the server.', { code: 'internal' });
}
