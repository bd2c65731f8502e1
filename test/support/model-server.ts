/**
 * A stand-in for the model host on 127.0.0.1: serves files with HTTP Range support, and
 * misbehaves on request — a connection dropped halfway, a flipped byte, a body cut short, a
 * wrong Content-Length, an HTML error page with status 200, a 404, a stall, a redirect — so
 * the downloader can be tested without the network. It records every request it saw.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export type Fault =
  /** Full-size headers, then the connection is destroyed once the file reaches `fraction`. */
  | { kind: 'drop'; fraction: number }
  /** The whole body with one byte changed (default: the middle one). */
  | { kind: 'flip-byte'; offset?: number }
  /** No Content-Length (chunked); the body ends cleanly at `fraction` of the file. */
  | { kind: 'truncate'; fraction: number }
  /** Content-Length off by `delta` bytes (the body as much as the socket takes, then closed). */
  | { kind: 'wrong-length'; delta: number }
  /** Status 200 with an HTML error page; `contentType` defaults to text/html. */
  | { kind: 'html'; contentType?: string }
  | { kind: 'status'; status: number }
  /** Sends `fraction` of the file, then nothing (the connection stays open). */
  | { kind: 'stall'; fraction: number }
  /** 302 to another address (on this server: a path, or a full URL with another host name). */
  | { kind: 'redirect'; location: string; headers?: Record<string, string> }
  /** Answers a Range request with 200 and the whole file. */
  | { kind: 'ignore-range' };

export interface SeenRequest {
  method: string;
  path: string;
  host: string;
  range: string | undefined;
  acceptEncoding: string | undefined;
}

export interface ModelServer {
  /** http://127.0.0.1:PORT */
  readonly base: string;
  readonly port: number;
  url(path: string, host?: string): string;
  /** Serves `data` at `path` (and under any host name that reaches this port). */
  serve(path: string, data: Buffer, headers?: Record<string, string>): void;
  /** The next `times` requests for `path` meet this fault; later ones are served normally. */
  inject(path: string, fault: Fault, times?: number): void;
  readonly requests: SeenRequest[];
  /** Resolves when a request for `path` has been seen `count` times in total. */
  waitForRequests(path: string, count: number): Promise<void>;
  close(): Promise<void>;
}

interface Served {
  data: Buffer;
  headers: Record<string, string>;
}

export async function startModelServer(): Promise<ModelServer> {
  const files = new Map<string, Served>();
  const faults = new Map<string, Fault[]>();
  const requests: SeenRequest[] = [];
  const waiters: Array<() => void> = [];
  const sockets = new Set<Socket>();

  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    requests.push({
      method: req.method ?? 'GET',
      path,
      host: req.headers.host ?? '',
      range: req.headers.range,
      acceptEncoding: req.headers['accept-encoding'],
    });
    for (const wake of waiters.splice(0)) wake();
    handle(req, res, path, files.get(path), faults.get(path)?.shift());
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const base = `http://127.0.0.1:${port}`;

  return {
    base,
    port,
    url: (path, host = '127.0.0.1') => `http://${host}:${port}${path}`,
    serve(path, data, headers = {}) {
      files.set(path, { data, headers });
    },
    inject(path, fault, times = 1) {
      const queue = faults.get(path) ?? [];
      for (let index = 0; index < times; index++) queue.push(fault);
      faults.set(path, queue);
    },
    requests,
    waitForRequests(path, count) {
      return new Promise((resolve) => {
        const check = (): void => {
          if (requests.filter((request) => request.path === path).length >= count) resolve();
          else waiters.push(check);
        };
        check();
      });
    },
    close() {
      for (const socket of sockets) socket.destroy();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

function handle(req: IncomingMessage, res: ServerResponse, path: string, served: Served | undefined, fault: Fault | undefined): void {
  if (fault?.kind === 'status' || served === undefined) {
    const status = fault?.kind === 'status' ? fault.status : 404;
    res.writeHead(status, { 'content-type': 'text/plain' }).end(`HTTP ${status}`);
    return;
  }
  if (fault?.kind === 'redirect') {
    res.writeHead(302, { location: fault.location, ...fault.headers }).end();
    return;
  }
  if (fault?.kind === 'html') {
    const page = '<!DOCTYPE html><html><body><h1>Something went wrong</h1><p>Please try again later.</p></body></html>';
    res.writeHead(200, { 'content-type': fault.contentType ?? 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(page) }).end(page);
    return;
  }

  const data = fault?.kind === 'flip-byte' ? flipped(served.data, fault.offset) : served.data;
  const size = data.length;
  const range = fault?.kind === 'ignore-range' ? null : parseRange(req.headers.range, size);
  if (range === 'unsatisfiable') {
    res.writeHead(416, { 'content-range': `bytes */${size}` }).end();
    return;
  }
  const start = range?.start ?? 0;
  const end = range?.end ?? size - 1;
  const headers: Record<string, string | number> = {
    'content-type': 'application/octet-stream',
    'accept-ranges': 'bytes',
    ...served.headers,
  };
  if (range !== null) headers['content-range'] = `bytes ${start}-${end}/${size}`;
  const status = range !== null ? 206 : 200;
  const body = data.subarray(start, end + 1);

  switch (fault?.kind) {
    case 'drop':
    case 'stall': {
      const stop = Math.max(start, Math.floor(size * fault.fraction));
      res.writeHead(status, { ...headers, 'content-length': body.length });
      res.write(data.subarray(start, stop), () => {
        if (fault.kind === 'drop') res.socket?.destroy();
      });
      return; // a stall leaves the response open until the client gives up
    }
    case 'truncate': {
      const stop = Math.max(start, Math.floor(size * fault.fraction));
      res.writeHead(status, headers); // no Content-Length: chunked, so ending early is "clean"
      res.end(data.subarray(start, stop));
      return;
    }
    case 'wrong-length': {
      res.writeHead(status, { ...headers, 'content-length': body.length + fault.delta });
      res.write(body.subarray(0, Math.min(body.length, body.length + fault.delta)), () => res.socket?.destroy());
      return;
    }
    default:
      res.writeHead(status, { ...headers, 'content-length': body.length });
      res.end(body);
  }
}

function parseRange(header: string | undefined, size: number): { start: number; end: number } | 'unsatisfiable' | null {
  if (header === undefined) return null;
  const match = /^bytes=(\d+)-(\d*)$/.exec(header.trim());
  if (match === null) return null;
  const start = Number(match[1]);
  const end = match[2] === '' || match[2] === undefined ? size - 1 : Math.min(Number(match[2]), size - 1);
  if (start >= size || start > end) return 'unsatisfiable';
  return { start, end };
}

function flipped(data: Buffer, offset = Math.floor(data.length / 2)): Buffer {
  const copy = Buffer.from(data);
  copy[offset] = (copy[offset] ?? 0) ^ 0xff;
  return copy;
}
