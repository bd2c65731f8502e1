/**
 * LocalApiState over the typed client and a fake transport (the state is what is tested): the
 * status and log are read, kept in step with api.state and api.request, a request logged while
 * the list is read is shown once, and a refused change answers with the core's reason.
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../../../src/shared/client';
import type { ApiRequestEntry, ApiStatus } from '../../../../src/shared/contract';
import type { Result } from '../../../../src/shared/errors';
import { LocalApiState } from '../../../../src/renderer/lib/local-api.svelte';
import { FakeTransport } from '../../../support/fake-transport';

const OFF: ApiStatus = { enabled: false, state: 'off', host: '127.0.0.1', port: 1337, url: null, key: 'sk-old', origins: [], saveHistory: false, error: null, freePort: null };
const ON: ApiStatus = { ...OFF, enabled: true, state: 'on', url: 'http://127.0.0.1:1337/v1' };

function entry(at: number, status = 200): ApiRequestEntry {
  return { at, client: '127.0.0.1', method: 'GET', endpoint: '/v1/models', status, tokens: null, durationMs: 2 };
}

class FakeCore extends FakeTransport {
  listed: ApiRequestEntry[] = [entry(1000)];
  /** Runs while api.requests is being answered (an event that beats the answer). */
  duringList: () => void = () => undefined;
  configureResult: Result<unknown> = { ok: true, value: ON };
  readonly inputs: unknown[] = [];

  override answer(name: string, input: unknown): Result<unknown> {
    this.inputs.push(input);
    switch (name) {
      case 'api.status':
        return { ok: true, value: OFF };
      case 'api.requests':
        this.duringList();
        return { ok: true, value: this.listed };
      case 'api.configure':
        return this.configureResult;
      case 'api.rotateKey':
        return { ok: true, value: { ...ON, key: 'sk-new' } };
      default:
        return { ok: false, error: { code: 'invalid_input', message: `unexpected ${name}` } };
    }
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('LocalApiState', () => {
  it('reads the status and the log, then follows api.state and api.request (newest first)', async () => {
    const core = new FakeCore();
    const api = new LocalApiState(createClient(core));
    const stop = api.connect();
    await settle();
    expect(api.status).toEqual(OFF);
    expect(api.requests).toEqual([entry(1000)]);
    core.emit('api.state', ON);
    core.emit('api.request', entry(2000, 401));
    expect(api.status?.url).toBe('http://127.0.0.1:1337/v1');
    expect(api.requests.map((request) => request.at)).toEqual([2000, 1000]);
    stop();
    core.emit('api.request', entry(3000));
    expect(api.requests).toHaveLength(2);
  });

  it('a request logged while the list is read appears once', async () => {
    const core = new FakeCore();
    core.duringList = () => {
      core.listed = [entry(1000), entry(2000)];
      core.emit('api.request', entry(2000));
    };
    const api = new LocalApiState(createClient(core));
    api.connect();
    await settle();
    expect(api.requests.map((request) => request.at)).toEqual([2000, 1000]);
  });

  it('configure and rotateKey take the answer as the status; a refusal answers with its reason and keeps the status', async () => {
    const core = new FakeCore();
    const api = new LocalApiState(createClient(core));
    api.connect();
    await settle();
    expect(await api.configure({ enabled: true })).toBeNull();
    expect(api.status?.state).toBe('on');
    expect(core.inputs).toContainEqual({ enabled: true });
    expect(await api.rotateKey()).toBeNull();
    expect(api.status?.key).toBe('sk-new');
    core.configureResult = { ok: false, error: { code: 'refused', message: 'Port 80 needs administrator rights.' } };
    expect(await api.configure({ port: 80 })).toBe('Port 80 needs administrator rights.');
    expect(api.status?.key).toBe('sk-new');
    expect(api.busy).toBe(false);
  });

  it('says why the settings could not be read', async () => {
    const core = new FakeCore();
    core.answer = () => ({ ok: false, error: { code: 'refused', message: 'The core is closing.' } });
    const api = new LocalApiState(createClient(core));
    api.connect();
    await settle();
    expect(api.loadError).toBe('The core is closing.');
    expect(api.status).toBeNull();
    expect(api.requests).toEqual([]);
  });
});
