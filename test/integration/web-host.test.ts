import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import { startWebHost, type WebHost } from '../../src/host/web/server';

let dir: string;
let assistant: Assistant;
let host: WebHost;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'burrow-web-'));
  const rendererDir = join(dir, 'renderer');
  mkdirSync(rendererDir);
  writeFileSync(join(rendererDir, 'index.html'), '<!doctype html><title>Burrow</title>');
  writeFileSync(join(dir, 'secret.txt'), 'not for the web');
  assistant = createAssistant({ dataDir: join(dir, 'data'), spawnEngine: spawnNodeEngine(), pickModelFile: () => Promise.resolve(null) });
  host = await startWebHost({ router: assistant.router, subscribe: (listener) => assistant.subscribe(listener), rendererDir });
});

afterEach(async () => {
  await host.close();
  await assistant.dispose();
  rmSync(dir, { recursive: true, force: true });
});

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const { port } = new URL(host.origin);
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port: Number(port), path, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, headers: res.headers }));
    });
    req.on('error', reject);
    req.end();
  });
}

function connect(url: string, origin: string | undefined): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, origin === undefined ? {} : { origin });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`refused with ${res.statusCode}`)));
  });
}

function invoke(ws: WebSocket, id: number, name: string, input: unknown): Promise<unknown> {
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

describe('browser host', () => {
  it('listens on loopback only and serves the page without a token, a cookie or a loose CSP', async () => {
    expect(new URL(host.origin).hostname).toBe('127.0.0.1');
    const page = await get('/', { host: new URL(host.origin).host });
    expect(page.status).toBe(200);
    expect(page.body).toContain('<title>Burrow</title>');
    // A cookie for 127.0.0.1 would reach every other server on 127.0.0.1, whatever its port.
    expect(page.headers['set-cookie']).toBeUndefined();
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain(`connect-src ${host.origin.replace('http:', 'ws:')};`);
    expect(csp).not.toMatch(/\*/);
    expect(csp).toContain("frame-ancestors 'none'");
  });

  it('refuses requests for another host name', async () => {
    expect((await get('/', { host: 'evil.example:80' })).status).toBe(403);
    expect((await get('/', { host: `localhost:${new URL(host.origin).port}` })).status).toBe(403);
  });

  it('never serves files outside the renderer folder', async () => {
    const hostHeader = new URL(host.origin).host;
    for (const path of ['/../secret.txt', '/%2e%2e/secret.txt', '/..%2fsecret.txt']) {
      const response = await get(`${path}?token=${host.token}`, { host: hostHeader });
      expect(response.status).toBe(404);
      expect(response.body).not.toContain('not for the web');
    }
  });

  it('serves the contract over the WebSocket to our own origin with the token', async () => {
    const ws = await connect(`ws://${new URL(host.origin).host}/rpc?token=${host.token}`, host.origin);
    const created = (await invoke(ws, 1, 'conversations.create', { title: 'From the web' })) as { ok: boolean; value: { title: string } };
    expect(created).toMatchObject({ ok: true, value: { title: 'From the web' } });
    expect(await invoke(ws, 2, 'conversations.list', {})).toMatchObject({ ok: true, value: [{ title: 'From the web' }] });
    expect(await invoke(ws, 3, 'conversations.get', { id: 5 })).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    ws.close();
  });

  it('refuses WebSocket upgrades from another origin or without the token', async () => {
    const base = `ws://${new URL(host.origin).host}/rpc`;
    await expect(connect(`${base}?token=${host.token}`, 'http://evil.example')).rejects.toThrow(/403|refused|Unexpected/);
    await expect(connect(`${base}?token=${host.token}`, undefined)).rejects.toThrow(/403|refused|Unexpected/);
    await expect(connect(base, host.origin)).rejects.toThrow(/403|refused|Unexpected/);
    // Change the last character, to one it is not (the token is random hex: a fixed
    // replacement would equal it one time in sixteen and let the test fail by chance).
    const wrongLast = host.token.endsWith('0') ? '1' : '0';
    await expect(connect(`${base}?token=${host.token.slice(0, -1)}${wrongLast}`, host.origin)).rejects.toThrow(/403|refused|Unexpected/);
    await expect(connect(`${base}?token=${host.token}`, `${host.origin}0`)).rejects.toThrow(/403|refused|Unexpected/);
    await expect(connect(`${base}?token=${host.token}`, host.origin.replace('127.0.0.1', 'localhost'))).rejects.toThrow(/403|refused|Unexpected/);
  });

  it('never authenticates by cookie', async () => {
    const ws = new WebSocket(`ws://${new URL(host.origin).host}/rpc`, { origin: host.origin, headers: { cookie: `burrow_token=${host.token}` } });
    const outcome = await new Promise<string>((resolve) => {
      ws.once('open', () => resolve('open'));
      ws.once('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      ws.once('error', () => resolve('error'));
    });
    expect(outcome).toBe('403');
    expect(assistant.conversations.list()).toEqual([]);
  });
});
