/**
 * The local API server's settings through the real router and SQLite: off by default, a key
 * that survives a restart, configure starting and stopping a real server on loopback, a
 * rotated key failing at once, a taken port reported with a free one, the request log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import type { Client } from '../../src/shared/client';
import type { EventName } from '../../src/shared/contract';
import { clientOf } from '../support/client';
import { freeLoopbackPort, occupyPort } from '../support/free-port';
import { tinyModelPath } from '../support/tiny-model';

let dataDir: string;
let assistant: Assistant;
let events: Array<{ name: EventName; payload: unknown }>;

function start(): Assistant {
  const created = createAssistant({ dataDir, spawnEngine: spawnNodeEngine(), pickModelFile: () => Promise.resolve(tinyModelPath()) });
  created.subscribe((name, payload) => events.push({ name, payload }));
  return created;
}

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'burrow-api-settings-'));
  events = [];
  assistant = start();
});
afterEach(async () => {
  await assistant.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

const call: Client['call'] = (name, input) => clientOf(assistant).call(name, input);

function models(url: string, key: string): Promise<Response> {
  return fetch(`${url}/models`, { headers: { Authorization: `Bearer ${key}` } });
}

describe('api settings', () => {
  it('is off by default, on 127.0.0.1:1337, with a generated key that survives a restart', async () => {
    const status = await call('api.status', {});
    expect(status).toMatchObject({ enabled: false, state: 'off', host: '127.0.0.1', port: 1337, url: null, origins: [], saveHistory: false, error: null, freePort: null });
    expect(status.key).toMatch(/^sk-burrow-[A-Za-z0-9_-]{32}$/);
    await assistant.dispose();
    assistant = start();
    expect((await call('api.status', {})).key).toBe(status.key);
  });

  it('configure starts a real server, a rotated key fails at once, and turning it off stops it', async () => {
    const port = await freeLoopbackPort();
    const on = await call('api.configure', { enabled: true, port });
    expect(on).toMatchObject({ enabled: true, state: 'on', port, url: `http://127.0.0.1:${port}/v1` });
    expect(events.some((event) => event.name === 'api.state' && (event.payload as { state: string }).state === 'on')).toBe(true);

    const answered = await models(on.url ?? '', on.key);
    expect(answered.status).toBe(200);
    expect(await answered.json()).toEqual({ object: 'list', data: [] });

    const rotated = await call('api.rotateKey', {});
    expect(rotated.key).not.toBe(on.key);
    expect((await models(on.url ?? '', on.key)).status).toBe(401);
    expect((await models(on.url ?? '', rotated.key)).status).toBe(200);

    const log = await call('api.requests', {});
    expect(log.map((entry) => [entry.method, entry.endpoint, entry.status])).toEqual([
      ['GET', '/v1/models', 200],
      ['GET', '/v1/models', 401],
      ['GET', '/v1/models', 200],
    ]);
    expect(log[0]?.client).toMatch(/^127\.0\.0\.1/);
    expect(events.filter((event) => event.name === 'api.request')).toHaveLength(3);
    expect(JSON.stringify(log)).not.toContain(rotated.key);

    const off = await call('api.configure', { enabled: false });
    expect(off).toMatchObject({ enabled: false, state: 'off', url: null });
    await expect(models(on.url ?? '', rotated.key)).rejects.toThrow();
  });

  it('comes back on after a restart when the user left it on', async () => {
    const port = await freeLoopbackPort();
    await call('api.configure', { enabled: true, port, origins: ['http://localhost:5173'], saveHistory: true });
    await assistant.dispose();
    assistant = start();
    await expect.poll(async () => (await call('api.status', {})).state).toBe('on');
    expect(await call('api.status', {})).toMatchObject({ enabled: true, port, origins: ['http://localhost:5173'], saveHistory: true });
  });

  it('a taken port: state error with a plain message and a free port to offer, which then works', async () => {
    const port = await freeLoopbackPort();
    const holder = await occupyPort(port);
    try {
      const failed = await call('api.configure', { enabled: true, port });
      expect(failed.state).toBe('error');
      expect(failed.error?.message).toContain(`Port ${port} is not available`);
      expect(failed.freePort).not.toBeNull();
      expect(failed.freePort).not.toBe(port);
      const moved = await call('api.configure', { port: failed.freePort ?? 0 });
      expect(moved).toMatchObject({ state: 'on', port: failed.freePort, error: null, freePort: null });
    } finally {
      await new Promise((resolve) => holder.close(resolve));
    }
  });

  it('refuses an address that is not a listening address', async () => {
    const result = await clientOf(assistant).invoke('api.configure', { host: 'example.com' });
    expect(result.ok).toBe(false);
  });
});
