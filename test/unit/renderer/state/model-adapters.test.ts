/**
 * ModelAdapters (a model's Adapters section) over the typed client and a fake core: the desktop
 * app's drop path (the file granted as an adapter, then added by its granted path), refusals
 * kept inline, the browser host's limits, defaults with scales, and removal.
 */
import { describe, expect, it } from 'vitest';
import { createClient } from '../../../../src/shared/client';
import type { AdapterChoice, LibraryAdapter } from '../../../../src/shared/contract';
import type { Result } from '../../../../src/shared/errors';
import { BROWSER_DROP_LIMIT, BROWSER_PICK_LIMIT, ModelAdapters, type GrantFile } from '../../../../src/renderer/lib/adapters.svelte';
import { FakeTransport } from '../../../support/fake-transport';

const MODEL = '/home/user/models/tiny.gguf';

function adapter(path: string, defaultScale: number | null = null): LibraryAdapter {
  const fileName = path.slice(path.lastIndexOf('/') + 1);
  return { path, fileName, name: fileName.replace('.gguf', ''), size: 3000, rank: 1, alpha: 1, baseArchitecture: 'llama', fits: true, defaultScale, fileMissing: false };
}

/** A core that keeps a model's adapters and refuses what its `refuse` map says. */
class FakeCore extends FakeTransport {
  list: LibraryAdapter[] = [];
  refuse = new Map<string, string>();
  inputs: Array<{ name: string; input: unknown }> = [];
  pickResult: Result<unknown> = { ok: true, value: { adapter: null } };

  override answer(name: string, input: unknown): Result<unknown> {
    this.inputs.push({ name, input });
    const { path, adapters } = input as { path?: string; adapters?: AdapterChoice[] };
    switch (name) {
      case 'models.adapters':
        return { ok: true, value: this.list };
      case 'models.pickAdapter':
        return this.pickResult;
      case 'models.addAdapter': {
        const refusal = this.refuse.get(path ?? '');
        if (refusal !== undefined) return { ok: false, error: { code: 'model_invalid', message: refusal } };
        const added = adapter(path ?? '');
        this.list = [...this.list, added];
        return { ok: true, value: added };
      }
      case 'models.removeAdapter':
        this.list = this.list.filter((entry) => entry.path !== path);
        return { ok: true, value: this.list };
      case 'models.setAdapterDefaults':
        this.list = this.list.map((entry) => ({ ...entry, defaultScale: adapters?.find((choice) => choice.path === entry.path)?.scale ?? null }));
        return { ok: true, value: this.list };
      default:
        return { ok: false, error: { code: 'invalid_input', message: `unexpected ${name}` } };
    }
  }
}

function file(name: string): File {
  return new File([new Uint8Array([71, 71, 85, 70])], name);
}

describe('ModelAdapters', () => {
  it('grants a dropped .gguf as an adapter and adds it by its granted path; other files and refusals are said inline', async () => {
    const core = new FakeCore();
    const granted: Array<[string, string | undefined]> = [];
    const grantFile: GrantFile = (dropped, kind) => {
      granted.push([dropped.name, kind]);
      return Promise.resolve(dropped.name === 'unplaced.gguf' ? null : `/home/user/adapters/${dropped.name}`);
    };
    core.refuse.set('/home/user/adapters/wide.gguf', 'This adapter ("wide") is for a llama model with 64-wide layers; the model "tiny" is llama, 32-wide.');
    const adapters = new ModelAdapters(MODEL, { client: createClient(core), grantFile });

    await adapters.drop([file('rabbit.gguf'), file('notes.txt'), file('wide.gguf'), file('unplaced.gguf')]);
    expect(granted).toEqual([
      ['rabbit.gguf', 'adapter'],
      ['wide.gguf', 'adapter'],
      ['unplaced.gguf', 'adapter'],
    ]);
    expect(core.inputs.filter((call) => call.name === 'models.addAdapter').map((call) => call.input)).toEqual([
      { modelPath: MODEL, path: '/home/user/adapters/rabbit.gguf' },
      { modelPath: MODEL, path: '/home/user/adapters/wide.gguf' },
    ]);
    expect(adapters.list.map((entry) => entry.fileName)).toEqual(['rabbit.gguf']);
    expect(adapters.error).toContain('“notes.txt” is not a .gguf adapter file.');
    expect(adapters.error).toContain('64-wide layers; the model "tiny" is llama, 32-wide.');
    expect(adapters.error).toContain('could not open “unplaced.gguf”');
    expect(adapters.busy).toBeNull();
  });

  it('in the browser host, says why a drop or a refused picker cannot add an adapter, and adds nothing', async () => {
    const core = new FakeCore();
    const adapters = new ModelAdapters(MODEL, { client: createClient(core), grantFile: undefined });
    await adapters.drop([file('rabbit.gguf')]);
    expect(adapters.error).toBe(BROWSER_DROP_LIMIT);
    expect(core.calls).not.toContain('models.addAdapter');

    core.pickResult = { ok: false, error: { code: 'refused', message: 'The browser host cannot open a file dialog. Restart it with --model /path/to/model.gguf.' } };
    await adapters.pick();
    expect(adapters.error).toBe(BROWSER_PICK_LIMIT);
    // Any other refusal (a misfit the host's picker chose) is the core's own message.
    core.pickResult = { ok: false, error: { code: 'model_invalid', message: 'This is a model, not an adapter.' } };
    await adapters.pick();
    expect(adapters.error).toBe('This is a model, not an adapter.');
  });

  it('keeps the model defaults in list order with clamped scales, tells when they change, and forgets on remove', async () => {
    const core = new FakeCore();
    core.list = [adapter('/a/one.gguf'), adapter('/a/two.gguf', 0.5)];
    let changes = 0;
    const adapters = new ModelAdapters(MODEL, { client: createClient(core), grantFile: undefined, ondefaults: () => (changes += 1) });
    const off = adapters.connect();
    await Promise.resolve();
    await Promise.resolve();
    expect(adapters.loaded).toBe(true);
    expect(adapters.defaults).toEqual([{ path: '/a/two.gguf', scale: 0.5 }]);

    const [one, two] = adapters.list as [LibraryAdapter, LibraryAdapter];
    await adapters.setDefault(one, 3);
    expect(core.inputs.at(-1)?.input).toEqual({ modelPath: MODEL, adapters: [{ path: '/a/one.gguf', scale: 2 }, { path: '/a/two.gguf', scale: 0.5 }] });
    await adapters.setDefault(two, null);
    expect(adapters.defaults).toEqual([{ path: '/a/one.gguf', scale: 2 }]);
    expect(changes).toBe(2);

    // The core says adapters changed elsewhere (the CLI added one): the list is read again.
    core.list = [...core.list, adapter('/a/three.gguf')];
    core.emit('library.changed', { reason: 'adapters' });
    await Promise.resolve();
    await Promise.resolve();
    expect(adapters.list.map((entry) => entry.fileName)).toEqual(['one.gguf', 'two.gguf', 'three.gguf']);

    await adapters.remove(adapters.list[0] as LibraryAdapter);
    expect(adapters.list.map((entry) => entry.fileName)).toEqual(['two.gguf', 'three.gguf']);
    expect(changes).toBe(3);
    off();
  });
});
