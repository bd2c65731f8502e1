/**
 * SECURITY.md item 2, without an Electron binary: what preload exposes is exactly the frozen
 * allow-list `BRIDGE_KEYS`, frozen, forwarding only over Burrow's two channels. Electron's
 * contextBridge and ipcRenderer are replaced at the module boundary (this machine has no
 * Electron runtime); the object under test is preload's own. The Electron suite checks the same
 * keys in a real window where a binary exists (test/e2e/electron.spec.ts).
 */
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { BRIDGE_KEYS } from '../../../src/shared/contract';
import { IPC_EVENT, IPC_GRANT_FILE, IPC_INVOKE } from '../../../src/shared/ipc-channels';

const exposed = new Map<string, unknown>();
const ipc = {
  invoke: vi.fn((..._args: unknown[]) => Promise.resolve({ ok: true, value: null })),
  on: vi.fn(),
  removeListener: vi.fn(),
};

/** What Electron says is on disk behind a File: '' for one the page made itself. */
const pathOf = vi.fn((_file: unknown) => '');

vi.mock('electron', () => ({
  contextBridge: { exposeInMainWorld: (key: string, value: unknown) => exposed.set(key, value) },
  ipcRenderer: ipc,
  webUtils: { getPathForFile: (file: unknown) => pathOf(file) },
}));

describe('preload', () => {
  beforeEach(async () => {
    exposed.clear();
    vi.resetModules();
    await import('../../../src/preload/index');
  });

  it('exposes only window.burrow, whose keys are exactly the frozen allow-list', () => {
    expect([...exposed.keys()]).toEqual(['burrow']);
    const bridge = exposed.get('burrow') as Record<string, unknown>;
    expect(Object.keys(bridge).sort()).toEqual([...BRIDGE_KEYS].sort());
    expect(Object.isFrozen(bridge)).toBe(true);
    expect(Object.isFrozen(BRIDGE_KEYS)).toBe(true);
    for (const key of BRIDGE_KEYS) expect(typeof bridge[key]).toBe('function');
  });

  it('invoke and on use only Burrow’s channels, and on() hands back its own unsubscribe', async () => {
    const bridge = exposed.get('burrow') as { invoke: (name: string, input: unknown) => Promise<unknown>; on: (name: string, listener: (payload: unknown) => void) => () => void };
    await bridge.invoke('engine.status', {});
    expect(ipc.invoke).toHaveBeenLastCalledWith(IPC_INVOKE, 'engine.status', {});

    const seen: unknown[] = [];
    const stop = bridge.on('engine.state', (payload) => seen.push(payload));
    const [channel, handler] = ipc.on.mock.lastCall as [string, (event: unknown, name: string, payload: unknown) => void];
    expect(channel).toBe(IPC_EVENT);
    handler({}, 'engine.state', { state: 'ready' });
    handler({}, 'settings.changed', { theme: 'dark' });
    expect(seen).toEqual([{ state: 'ready' }]);
    stop();
    expect(ipc.removeListener).toHaveBeenCalledWith(IPC_EVENT, handler);
  });

  it('grantFile asks main to grant only a file with a path on disk (one the user handed over)', async () => {
    const bridge = exposed.get('burrow') as { grantFile: (file: unknown) => Promise<string | null> };
    ipc.invoke.mockClear();
    expect(await bridge.grantFile({ name: 'made-by-the-page.txt' })).toBeNull();
    expect(ipc.invoke).not.toHaveBeenCalled();

    pathOf.mockReturnValueOnce('/home/user/report.pdf');
    ipc.invoke.mockResolvedValueOnce('/home/user/report.pdf' as never);
    expect(await bridge.grantFile({ name: 'report.pdf' })).toBe('/home/user/report.pdf');
    expect(ipc.invoke).toHaveBeenLastCalledWith(IPC_GRANT_FILE, '/home/user/report.pdf', 'document');

    pathOf.mockReturnValueOnce('/home/user/my-adapter.gguf');
    ipc.invoke.mockResolvedValueOnce('/home/user/my-adapter.gguf' as never);
    expect(await (bridge.grantFile as (file: unknown, kind: string) => Promise<string | null>)({ name: 'my-adapter.gguf' }, 'adapter')).toBe('/home/user/my-adapter.gguf');
    expect(ipc.invoke).toHaveBeenLastCalledWith(IPC_GRANT_FILE, '/home/user/my-adapter.gguf', 'adapter');
  });
});
