/**
 * The browser host: the built renderer served on 127.0.0.1, the contract over a loopback
 * WebSocket. Every request must carry the random token (in the address the host prints,
 * then in a same-site cookie); WebSocket upgrades must also come from our own origin.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { ClientMessage, MAX_WIRE_BYTES, type ServerMessage } from '../../shared/wire';
import type { Router } from '../../shared/router';
import type { EventListener } from '../../core/events';

export interface WebHostOptions {
  router: Router;
  subscribe: (listener: EventListener) => () => void;
  /** The built renderer (out/renderer). */
  rendererDir: string;
  /** 0 picks a free port. */
  port?: number;
}

export interface WebHost {
  readonly url: string;
  readonly origin: string;
  readonly token: string;
  close(): Promise<void>;
}

const COOKIE = 'burrow_token';
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
const SECURITY_HEADERS = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

export async function startWebHost(options: WebHostOptions): Promise<WebHost> {
  const token = randomBytes(24).toString('hex');
  const rendererDir = resolve(options.rendererDir);
  let origin = '';

  const server = createServer((request, response) => {
    if (!hostAllowed(request, origin) || !tokenFrom(request, token)) return refuse(response, 403, 'Forbidden: open the address Burrow printed, with its token.');
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(response, 405, 'Method not allowed');
    serveFile(request, response, rendererDir, token);
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_WIRE_BYTES });
  server.on('upgrade', (request, socket, head) => {
    const url = new URL(request.url ?? '/', origin);
    if (url.pathname !== '/rpc' || !hostAllowed(request, origin) || request.headers.origin !== origin || !tokenFrom(request, token)) {
      socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
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
    options.router
      .call(name, input)
      .then((result) => send({ type: 'result', id, result }))
      .catch((error: unknown) => send({ type: 'result', id, result: { ok: false, error: { code: 'internal', message: String(error) } } }));
  });
}

function hostAllowed(request: IncomingMessage, origin: string): boolean {
  // Refuse other Host names (DNS rebinding) — only the exact address we printed.
  return origin !== '' && `http://${request.headers.host ?? ''}` === origin;
}

function tokenFrom(request: IncomingMessage, token: string): boolean {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const fromQuery = url.searchParams.get('token');
  const fromCookie = /(?:^|;\s*)burrow_token=([0-9a-f]+)/.exec(request.headers.cookie ?? '')?.[1];
  return [fromQuery, fromCookie].some((candidate) => candidate != null && sameSecret(candidate, token));
}

function sameSecret(a: string, b: string): boolean {
  const left = Buffer.from(a);
  const right = Buffer.from(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

function refuse(response: ServerResponse, status: number, message: string): void {
  response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
  response.end(message);
}

function serveFile(request: IncomingMessage, response: ServerResponse, root: string, token: string): void {
  const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
  const relative = pathname === '/' ? 'index.html' : normalize(pathname).replace(/^[/\\]+/, '');
  const file = join(root, relative);
  if (!file.startsWith(root + sep)) return refuse(response, 404, 'Not found');
  let size: number;
  try {
    const stat = statSync(file);
    if (!stat.isFile()) return refuse(response, 404, 'Not found');
    size = stat.size;
  } catch {
    return refuse(response, 404, 'Not found');
  }
  response.writeHead(200, {
    'Content-Type': CONTENT_TYPES[extname(file)] ?? 'application/octet-stream',
    'Content-Length': size,
    'Cache-Control': 'no-store',
    'Set-Cookie': `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`,
    ...SECURITY_HEADERS,
  });
  if (request.method === 'HEAD') return void response.end();
  createReadStream(file).pipe(response);
}
