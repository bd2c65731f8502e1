import { describe, expect, it } from 'vitest';
import { IdleUnloader } from '../../../src/core/models/idle-unload';

function unloader(options: { busy?: () => boolean } = {}): { idle: IdleUnloader; unloaded: Promise<number>; calls: () => number } {
  let calls = 0;
  let resolve!: (at: number) => void;
  const unloaded = new Promise<number>((done) => (resolve = done));
  const idle = new IdleUnloader({
    unload: () => {
      calls++;
      resolve(Date.now());
      return Promise.resolve();
    },
    hasModel: () => true,
    isBusy: options.busy ?? (() => false),
    minuteMs: 100,
  });
  return { idle, unloaded, calls: () => calls };
}

describe('unload when idle', () => {
  it('unloads after the set time without activity, and activity restarts the wait', async () => {
    const { idle, unloaded } = unloader();
    const start = Date.now();
    idle.setMinutes(1);
    await new Promise((resolve) => setTimeout(resolve, 60));
    idle.activity();
    const at = await unloaded;
    expect(at - start).toBeGreaterThanOrEqual(150);
    idle.dispose();
  });

  it('waits while the model is busy, and never unloads when turned off', async () => {
    let busy = true;
    const { idle, unloaded, calls } = unloader({ busy: () => busy });
    idle.setMinutes(0.5);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(calls()).toBe(0);
    busy = false;
    await unloaded;
    expect(calls()).toBe(1);

    const off = unloader();
    off.idle.setMinutes(0.5);
    off.idle.setMinutes(null);
    await new Promise((resolve) => setTimeout(resolve, 120));
    expect(off.calls()).toBe(0);
    idle.dispose();
  });
});
