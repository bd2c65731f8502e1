/**
 * The browser host: the built renderer served on 127.0.0.1, the contract over a loopback
 * WebSocket. The page itself is public (it is the same static build anyone can read from the
 * app's folder); only the WebSocket carries power, so only the upgrade to `/rpc` is guarded:
 * the exact Host, the exact Origin and the random token in the upgrade's query, all compared
 * in constant time. No cookie: a cookie for 127.0.0.1 would be sent to every other server on
 * 127.0.0.1, whatever its port.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { ClientMessage, MAX_WIRE_BYTES, type ServerMessage } from '../../shared/wire';
import type { Router } from '../../shared/router';
import type { EventListener } from '../../core/events/event-hub';
import { createRateLimiter, type RateLimit } from './rate-limit';

export interface WebHostOptions {
  router: Router;
  subscribe: (listener: EventListener) => () => void;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
  /**
   * How long a client may take to send its request headers before the connection is cut
   * (slow-loris). Default 10 s; tests shorten it.
   */
  headersTimeoutMs?: number;
  /** Calls each WebSocket may make; past it the call answers `busy`. Default 50 per second, bursts of 100. */
  rateLimit?: RateLimit;
  /** At most this many WebSocket connections at once; more are refused with 503. Default 32. */
  maxSockets?: number;
}

export interface WebHost {
  readonly url: string;
  readonly origin: string;
  readonly token: string;
  close(): Promise<void>;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
  '.json': 'application/json',
};

/**
 * As strict as the app's own CSP (src/renderer/index.html), and stricter where only a header
 * can be: the one WebSocket it may open is this host's own, and no page may frame it.
 */
export function browserHostCsp(origin: string): string {
  const wsOrigin = origin.replace(/^http:/, 'ws:');
  return [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    `connect-src ${wsOrigin}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

function securityHeaders(origin: string): Record<string, string> {
  return {
    'Content-Security-Policy': browserHostCsp(origin),
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cross-Origin-Resource-Policy': 'same-origin',
    'X-Frame-Options': 'DENY',
  };
}

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const token = randomBytes(24).toString('hex');
  const rendererDir = resolve(options.rendererDir);
  const headersTimeout = options.headersTimeoutMs ?? 10_000;
  const maxSockets = options.maxSockets ?? 32;
  let origin = '';

  const server = createServer(
    {
      headersTimeout,
      requestTimeout: headersTimeout * 3,
      // Node checks the two timeouts on this interval; a long one would let slow clients linger.
      connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(headersTimeout / 4))),
    },
    (request, response) => {
      try {
        if (!hostAllowed(request, origin)) return refuse(response, origin, 403, 'Forbidden: open the address Burrow printed.');
        if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(response, origin, 405, 'Method not allowed');
        serveFile(request, response, rendererDir, origin);
      } catch {
        // Whatever a request holds (a malformed address, odd headers), it costs that request only.
        if (!response.headersSent) refuse(response, origin, 400, 'Bad request');
        else response.destroy();
      }
    },
  );
  // A client that breaks HTTP (garbage, oversized headers, a timeout) loses its own connection.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    socket.destroy();
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_WIRE_BYTES });
  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    if (!upgradeAllowed(request, origin, token)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
      return;
    }
    if (sockets.clients.size >= maxSockets) {
      socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => serveSocket(ws, options));
  });

  await new Promise<void>((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolvePromise());
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;

  return {
    url: `${origin}/?token=${token}`,
    origin,
    token,
    async close() {
      for (const client of sockets.clients) client.terminate();
      sockets.close();
      server.closeAllConnections();
      await new Promise<void>((done) => server.close(() => done()));
    },
  };
}

function serveSocket(ws: WebSocket, options: WebHostOptions): void {
  // Without a listener, a frame over maxPayload or a text frame that is not UTF-8 raises an
  // 'error' nobody handles, and Node ends the whole process. It costs this socket only.
  ws.on('error', () => ws.terminate());
  const limiter = createRateLimiter(options.rateLimit ?? { perSecond: 50, burst: 100 });
  const send = (message: ServerMessage): void => {
    if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
  };
  const unsubscribe = options.subscribe((name, payload) => send({ type: 'event', name, payload }));
  ws.on('close', unsubscribe);
  ws.on('message', (data, isBinary) => {
    if (isBinary) return;
    let parsed: ReturnType<typeof ClientMessage.safeParse>;
    try {
      parsed = ClientMessage.safeParse(JSON.parse(String(data)));
    } catch {
      return;
    }
    if (!parsed.success) return;
    const { id, name, input } = parsed.data;
    if (!limiter.take()) {
      send({ type: 'result', id, result: { ok: false, error: { code: 'busy', message: 'Too many requests at once. Wait a moment and try again.' } } });
      return;
    }
    options.router
      .call(name, input)
      .then((result) => send({ type: 'result', id, result }))
      .catch((error: unknown) => send({ type: 'result', id, result: { ok: false, error: { code: 'internal', message: String(error) } } }));
  });
}

function hostAllowed(request: IncomingMessage, origin: string): boolean {
  // Refuse other Host names (DNS rebinding) — only the exact address we printed.
  return origin !== '' && sameSecret(`http://${request.headers.host ?? ''}`, origin);
}

function upgradeAllowed(request: IncomingMessage, origin: string, token: string): boolean {
  if (!hostAllowed(request, origin)) return false;
  let url: URL;
  try {
    url = new URL(request.url ?? '/', origin);
  } catch {
    return false;
  }
  if (url.pathname !== '/rpc') return false;
  // Origin first: a page on another origin must never learn anything, not even by timing.
  if (!sameSecret(request.headers.origin ?? '', origin)) return false;
  return sameSecret(url.searchParams.get('token') ?? '', token);
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  // timingSafeEqual needs equal lengths; comparing b with itself keeps the time independent of a.
  const equalLength = left.length === right.length;
  return timingSafeEqual(equalLength ? left : right, right) && equalLength;
}

function refuse(response: ServerResponse, origin: string, status: number, message: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...securityHeaders(origin) });
  response.end(message);
}

function serveFile(request: IncomingMessage, response: ServerResponse, root: string, origin: string): void {
  let pathname: string;
  try {
    pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
  } catch {
    return refuse(response, origin, 400, 'Bad request: the address is not valid.');
  }
  if (pathname.includes('\0')) return refuse(response, origin, 400, 'Bad request: the address is not valid.');
  const relative = pathname === '/' ? 'index.html' : normalize(pathname).replace(/^[/\\]+/, '');
  const file = join(root, relative);
  if (!file.startsWith(root + sep)) return refuse(response, origin, 404, 'Not found');
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return refuse(response, origin, 404, 'Not found');
    size = stat.size;
  } catch {
    return refuse(response, origin, 404, 'Not found');
  }
  response.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': size,
    'Cache-Control': 'no-store',
    ...securityHeaders(origin),
  });
  if (request.method === 'HEAD') return void response.end();
  const stream = createReadStream(file);
  stream.on('error', () => response.destroy());
  stream.pipe(response);
}
