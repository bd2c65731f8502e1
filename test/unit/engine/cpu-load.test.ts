import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { LoadMonitor, MIN_WINDOW_MS, othersBusyCores, readCpu, type CpuSample } from '../../../src/core/engine/cpu-load';
import { threadsForLoad } from '../../../src/core/engine/threads';

/** A fake machine: `others` cores' worth of foreign work and `own` of ours, per millisecond. */
function fakeCpu(load: { others: number; own: number }): { read: () => CpuSample; advance: (ms: number) => void } {
  let at = 0;
  let busyMs = 0;
  let ownMs = 0;
  return {
    read: () => ({ at, busyMs, ownMs }),
    advance(ms) {
      at += ms;
      ownMs += load.own * ms;
      busyMs += (load.others + load.own) * ms;
    },
  };
}

describe('threads for the load of the moment', () => {
  it('gives every core on an idle machine, and gives up a core someone else keeps more than half busy', () => {
    expect(threadsForLoad(2, 0)).toBe(2);
    expect(threadsForLoad(2, 0.2)).toBe(2);
    // Measured beside a core busy 25-40 % of the time, 2 threads still beat 1 by 1.2-1.5 x; at 50 % they tie; at 60-70 % 1 wins.
    expect(threadsForLoad(2, 0.4)).toBe(2);
    expect(threadsForLoad(2, 0.5)).toBe(2);
    expect(threadsForLoad(2, 0.6)).toBe(1);
    expect(threadsForLoad(2, 1)).toBe(1);
    expect(threadsForLoad(8, 3)).toBe(5);
    expect(threadsForLoad(8, 3.4)).toBe(5);
    expect(threadsForLoad(8, 3.6)).toBe(4);
  });

  it('always keeps one thread, whatever the load or a nonsense reading', () => {
    expect(threadsForLoad(2, 5)).toBe(1);
    expect(threadsForLoad(1, 0)).toBe(1);
    expect(threadsForLoad(2, Number.NaN)).toBe(2);
    expect(threadsForLoad(2, -3)).toBe(2);
    expect(threadsForLoad(0, 0)).toBe(1);
  });
});

describe('load monitor', () => {
  it("subtracts the engine's own work: its own answers never make it back off", () => {
    const cpu = fakeCpu({ others: 0, own: 2 });
    const monitor = new LoadMonitor({ read: cpu.read });
    monitor.sample();
    cpu.advance(1000);
    expect(monitor.othersBusy()).toBeCloseTo(0);
  });

  it("measures others' work over the last window only", () => {
    const load = { others: 1, own: 0 };
    const cpu = fakeCpu(load);
    const monitor = new LoadMonitor({ read: cpu.read, windowMs: 1000 });
    for (let i = 0; i < 8; i++) {
      monitor.sample();
      cpu.advance(250);
    }
    expect(monitor.othersBusy()).toBeCloseTo(1);
    expect(threadsForLoad(2, monitor.othersBusy())).toBe(1);
    // The other program stops: a second later the core is free again.
    load.others = 0;
    for (let i = 0; i < 5; i++) {
      cpu.advance(250);
      monitor.sample();
    }
    expect(monitor.othersBusy()).toBeCloseTo(0);
    expect(threadsForLoad(2, monitor.othersBusy())).toBe(2);
  });

  it('gives the core back as soon as a load ends, not a second later', () => {
    const load = { others: 1, own: 0 };
    const cpu = fakeCpu(load);
    const monitor = new LoadMonitor({ read: cpu.read, windowMs: 1000, intervalMs: 100 });
    let secondBeforeTheEnd: CpuSample | undefined;
    for (let i = 0; i < 20; i++) {
      if (i === 13) secondBeforeTheEnd = cpu.read();
      monitor.sample();
      cpu.advance(100);
    }
    expect(threadsForLoad(2, monitor.othersBusy())).toBe(1);
    // The other program ends; 300 ms later the last second still holds 0.7 cores of it...
    load.others = 0;
    for (let i = 0; i < 3; i++) {
      cpu.advance(100);
      monitor.sample();
    }
    const before = monitor.othersBusy();
    expect(before).toBeLessThan(0.05);
    expect(threadsForLoad(2, before)).toBe(2);
    // ...which the whole window alone would have read as a taken core.
    expect(othersBusyCores(secondBeforeTheEnd ?? cpu.read(), cpu.read())).toBeCloseTo(0.7);
  });

  it('gives up a core only to a load that has lasted the whole window', () => {
    const load = { others: 0, own: 1 };
    const cpu = fakeCpu(load);
    const monitor = new LoadMonitor({ read: cpu.read, windowMs: 1000, intervalMs: 100 });
    for (let i = 0; i < 20; i++) {
      monitor.sample();
      cpu.advance(100);
    }
    load.others = 1;
    const seen: number[] = [];
    for (let i = 0; i < 12; i++) {
      cpu.advance(100);
      seen.push(threadsForLoad(2, monitor.othersBusy()));
    }
    // Two threads while the load is new (the window is mostly quiet), one once it has lasted a window.
    expect(seen.slice(0, 4)).toEqual([2, 2, 2, 2]);
    expect(seen.at(-1)).toBe(1);
  });

  it('reads 0 before it has a window', () => {
    const cpu = fakeCpu({ others: 1, own: 0 });
    const monitor = new LoadMonitor({ read: cpu.read });
    expect(monitor.othersBusy()).toBe(0);
    expect(othersBusyCores({ at: 5, busyMs: 10, ownMs: 0 }, { at: 5, busyMs: 20, ownMs: 0 })).toBe(0);
  });

  it("reads 0 from a window too short for the kernel's 10 ms CPU-time ticks, as right after a load", () => {
    let at = 0;
    let busyMs = 0;
    const monitor = new LoadMonitor({ read: () => ({ at, busyMs, ownMs: 0 }) });
    monitor.sample();
    // One tick on each of two idle cores lands 5 ms later: 4 busy cores, if it were believed.
    at += 5;
    busyMs += 20;
    expect(monitor.othersBusy()).toBe(0);
    expect(threadsForLoad(2, monitor.othersBusy())).toBe(2);
    // Over a real window the same ticks are what they are: a tenth of a core.
    at += MIN_WINDOW_MS - 5;
    expect(monitor.othersBusy()).toBeCloseTo(20 / MIN_WINDOW_MS);
  });

  it('sees a real process that keeps a core busy', async () => {
    const before = readCpu();
    // Bounded: the burner stops by itself after 1.5 s even if this test dies.
    const burner = spawn(process.execPath, ['-e', 'const end = Date.now() + 1500; while (Date.now() < end) {}'], { stdio: 'ignore' });
    await new Promise<void>((resolve) => burner.on('exit', () => resolve()));
    const after = readCpu();
    expect(othersBusyCores(before, after)).toBeGreaterThan(0.5);
  });
});
