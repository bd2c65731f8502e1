import { describe, expect, it } from 'vitest';
import { coalesce } from '../../../src/renderer/lib/coalesce';

describe('coalesce', () => {
  it('folds the calls made during a run into one more run, and settles every caller after it', async () => {
    const releases: Array<() => void> = [];
    let runs = 0;
    const refresh = coalesce(async () => {
      runs += 1;
      await new Promise<void>((resolve) => releases.push(resolve));
    });
    const first = refresh();
    const second = refresh();
    const third = refresh();
    expect(runs).toBe(1);
    releases.shift()?.();
    await new Promise((resolve) => setTimeout(resolve, 0));
    // The two calls made during the first run asked for one more run, not two.
    expect(runs).toBe(2);
    releases.shift()?.();
    await Promise.all([first, second, third]);
    expect(runs).toBe(2);
    // Idle again: the next call runs at once.
    const fourth = refresh();
    expect(runs).toBe(3);
    releases.shift()?.();
    await fourth;
  });

  it('lets a failed run reject its callers and runs again on the next call', async () => {
    let fail = true;
    let runs = 0;
    const refresh = coalesce(async () => {
      runs += 1;
      await Promise.resolve();
      if (fail) throw new Error('no list');
    });
    await expect(refresh()).rejects.toThrow('no list');
    fail = false;
    await refresh();
    expect(runs).toBe(2);
  });
});
