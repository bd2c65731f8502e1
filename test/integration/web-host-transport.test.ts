/**
 * Transport fuzz for the browser host (SECURITY.md item 27): whatever one client sends over
 * HTTP or the WebSocket costs that client only; the host stays up and keeps answering.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect as connectTcp, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import { startWebHost, type WebHost } from '../../src/host/web/server';
import { MAX_WIRE_BYTES } from '../../src/shared/limits';

let dir: string;
let assistant: Assistant;
let host: WebHost;
let port: number;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'burrow-web-fuzz-'));
  const rendererDir = join(dir, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Burrow</title>');
  assistant = createAssistant({ dataDir: join(dir, 'data'), spawnEngine: spawnNodeEngine(), pickModelFile: () => Promise.resolve(null) });
  host = await startWebHost({
    router: assistant.router,
    subscribe: (listener) => assistant.subscribe(listener),
    rendererDir,
    headersTimeoutMs: 400,
    maxSockets: 32,
  });
  port = Number(new URL(host.origin).port);
});

afterAll(async () => {
  await host.close();
  await assistant.dispose();
  rmSync(dir, { recursive: true, force: true });
});

/** Raw bytes in, everything the server wrote until it closed the connection out. */
function rawExchange(bytes: string | Buffer): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectTcp(port, '127.0.0.1');
    let answer = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => (answer += chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer));
    socket.write(bytes);
    socket.end();
  });
}

function getPage(path = '/'): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: { host: new URL(host.origin).host }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

function openSocket(): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://${new URL(host.origin).host}/rpc?token=${host.token}`, { origin: host.origin });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
  });
}

function closed(ws: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    if (ws.readyState === ws.CLOSED) return resolve(-1);
    ws.once('close', (code) => resolve(code));
    // The server may cut the TCP connection while this client is still writing.
    ws.on('error', () => undefined);
  });
}

function invoke(ws: WebSocket, id: number, name: string, input: unknown): Promise<unknown> {
  ws.setMaxListeners(0);
  return new Promise((resolve) => {
    const onMessage = (data: Buffer): void => {
      const message = JSON.parse(String(data)) as { type: string; id?: number; result?: unknown };
      if (message.type === 'result' && message.id === id) {
        ws.off('message', onMessage);
        resolve(message.result);
      }
    };
    ws.on('message', onMessage);
    ws.send(JSON.stringify({ type: 'invoke', id, name, input }));
  });
}

/** The host is up: it serves the page and answers a call on a fresh socket. */
async function expectHostUp(): Promise<void> {
  expect(await getPage('/')).toBe(200);
  const ws = await openSocket();
  expect(await invoke(ws, 1, 'conversations.list', {})).toMatchObject({ ok: true });
  ws.close();
  await closed(ws);
}

describe('browser host transport', () => {
  it('answers malformed percent-encoding and odd request lines with 400, and stays up', async () => {
    for (const path of ['/%E0%A4%A', `/%E0%A4%A?token=${host.token}`, '/%', '/%ZZ', '/%C0%AF', '/%00', '/a%00b.html']) {
      expect(await getPage(path), path).toBe(400);
    }
    for (const line of ['GET //%E0%A4%A HTTP/1.1', 'GET * HTTP/1.1', 'GET http://[::1 HTTP/1.1', 'BREW / HTTP/1.1', 'GET / HTTP/9.9', '\u0000\u0001garbage']) {
      const answer = await rawExchange(`${line}\r\nHost: ${new URL(host.origin).host}\r\n\r\n`);
      expect(answer, line).toMatch(/^HTTP\/1\.1 (400|403|404|405|505)/);
    }
    // An upgrade with a malformed address or no Origin is refused, not a crash.
    const upgrade = await rawExchange(
      `GET //%E0%A4%A HTTP/1.1\r\nHost: ${new URL(host.origin).host}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    expect(upgrade).toMatch(/^HTTP\/1\.1 403/);
    await expectHostUp();
  });

  it('closes only the socket that sends an oversized frame', async () => {
    const bystander = await openSocket();
    const ws = await openSocket();
    ws.send('x'.repeat(MAX_WIRE_BYTES + 1));
    expect(await closed(ws)).toBe(1009);
    expect(await invoke(bystander, 7, 'conversations.list', {})).toMatchObject({ ok: true });
    bystander.close();
    await expectHostUp();
  });

  it('closes only the socket whose fragments add up past the limit', async () => {
    const ws = await openSocket();
    const fragment = 'y'.repeat(MAX_WIRE_BYTES / 4);
    for (let i = 0; i < 5; i++) ws.send(fragment, { fin: false });
    ws.send('', { fin: true });
    expect(await closed(ws)).toBe(1009);
    await expectHostUp();
  });

  it('answers a message sent in small fragments like any other', async () => {
    const ws = await openSocket();
    const text = JSON.stringify({ type: 'invoke', id: 3, name: 'conversations.list', input: {} });
    const answer = new Promise<unknown>((resolve) => ws.once('message', (data: Buffer) => resolve(JSON.parse(String(data)))));
    for (let i = 0; i < text.length; i += 4) ws.send(text.slice(i, i + 4), { fin: i + 4 >= text.length });
    expect(await answer).toMatchObject({ type: 'result', id: 3, result: { ok: true } });
    ws.close();
    await closed(ws);
  });

  it('closes only the socket that sends a text frame that is not UTF-8', async () => {
    const ws = await openSocket();
    ws.send(Buffer.from([0x7b, 0xc3, 0x28, 0xa0, 0xa1, 0xff, 0x7d]), { binary: false });
    expect(await closed(ws)).toBe(1007);
    await expectHostUp();
  });

  it('ignores binary frames and garbage text, and keeps the socket working', async () => {
    const ws = await openSocket();
    ws.send(Buffer.from([0, 1, 2, 3, 255]), { binary: true });
    ws.send('not json');
    ws.send(JSON.stringify({ type: 'invoke', id: -1, name: 'x', input: null }));
    ws.send(JSON.stringify({ __proto__: { polluted: true }, type: 'invoke' }));
    expect(await invoke(ws, 9, 'conversations.list', {})).toMatchObject({ ok: true });
    ws.close();
    await closed(ws);
  });

  it('cuts slow-loris connections that never finish their headers, serving others meanwhile', async () => {
    const slow: Socket[] = [];
    const cut: Promise<void>[] = [];
    for (let i = 0; i < 50; i++) {
      const socket = connectTcp(port, '127.0.0.1');
      socket.on('error', () => undefined);
      // Reads what the server says (its 400), or the end of the stream never arrives.
      socket.resume();
      cut.push(new Promise((resolve) => socket.once('close', () => resolve())));
      socket.write(`GET / HTTP/1.1\r\nHost: ${new URL(host.origin).host}\r\nX-Slow: `);
      slow.push(socket);
    }
    await expectHostUp();
    // Each slow connection is closed by the server's headers timeout (400 ms here), not by us.
    await Promise.all(cut);
    expect(slow.every((socket) => socket.destroyed)).toBe(true);
    await expectHostUp();
  });

  it('survives a few hundred sockets at once, refusing WebSockets past its cap', async () => {
    const tcp: Promise<void>[] = [];
    for (let i = 0; i < 300; i++) {
      tcp.push(
        new Promise((resolve) => {
          const socket = connectTcp(port, '127.0.0.1', () => socket.end());
          socket.resume();
          socket.on('error', () => resolve());
          socket.on('close', () => resolve());
        }),
      );
    }
    const upgrades = await Promise.allSettled(Array.from({ length: 100 }, () => openSocket()));
    await Promise.all(tcp);
    const opened = upgrades.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []));
    expect(opened.length).toBeGreaterThan(0);
    expect(opened.length).toBeLessThanOrEqual(32);
    for (const outcome of upgrades) if (outcome.status === 'rejected') expect(String(outcome.reason)).toMatch(/503/);
    await Promise.all(opened.map((ws) => (ws.close(), closed(ws))));
    await expectHostUp();
  }, 30_000);

  it('answers busy past the per-connection rate limit', async () => {
    const ws = await openSocket();
    const answers = await Promise.all(Array.from({ length: 150 }, (_, i) => invoke(ws, 100 + i, 'conversations.list', {})));
    const busy = answers.filter((answer) => (answer as { ok: boolean; error?: { code: string } }).error?.code === 'busy');
    expect(busy.length).toBeGreaterThan(0);
    expect(answers.length - busy.length).toBeGreaterThanOrEqual(100);
    ws.close();
    await closed(ws);
  });
});
