import { describe, expect, it } from 'vitest';
import { restoreBounds, trackWindowState, type SavedBounds, type TrackedWindow } from '../../../src/main/window-state';
import type { Rect } from '../../../src/main/quick-window';

const MINIMUM = { width: 640, height: 420 };
const laptop: Rect = { x: 0, y: 0, width: 1440, height: 860 };
const monitorRight: Rect = { x: 1440, y: 0, width: 2560, height: 1400 };

const saved = (bounds: Partial<SavedBounds>): SavedBounds => ({ x: 100, y: 80, width: 1100, height: 760, maximized: false, ...bounds });

describe('restoreBounds', () => {
  it('puts the window back where it was when that is still on a display', () => {
    expect(restoreBounds(saved({}), [laptop], MINIMUM)).toEqual(saved({}));
    expect(restoreBounds(saved({ x: 2000, y: 200 }), [laptop, monitorRight], MINIMUM)).toEqual(saved({ x: 2000, y: 200 }));
  });

  it('a monitor unplugged since: centred on the primary display, at its size', () => {
    const restored = restoreBounds(saved({ x: 2000, y: 200 }), [laptop], MINIMUM);
    expect(restored).toEqual({ x: 170, y: 50, width: 1100, height: 760, maximized: false });
  });

  it('a window bigger than the display now is shrunk to it; one hanging off an edge moves inside', () => {
    expect(restoreBounds(saved({ x: 0, y: 0, width: 3000, height: 2000 }), [laptop], MINIMUM)).toEqual({ x: 0, y: 0, width: 1440, height: 860, maximized: false });
    expect(restoreBounds(saved({ x: 1000, y: 500 }), [laptop], MINIMUM)).toEqual({ x: 340, y: 100, width: 1100, height: 760, maximized: false });
  });

  it('never smaller than the window allows, unless the display is', () => {
    expect(restoreBounds(saved({ width: 200, height: 100 }), [laptop], MINIMUM)).toMatchObject({ width: 640, height: 420 });
    expect(restoreBounds(saved({ width: 200, height: 100 }), [{ x: 0, y: 0, width: 500, height: 400 }], MINIMUM)).toMatchObject({ width: 500, height: 400 });
  });

  it('a sliver left on a display does not count: the window comes back whole, centred', () => {
    expect(restoreBounds(saved({ x: 1420, y: 100 }), [laptop], MINIMUM)).toEqual({ x: 170, y: 50, width: 1100, height: 760, maximized: false });
  });

  it('displays left of and above the primary one (negative coordinates) work', () => {
    const left: Rect = { x: -1920, y: -300, width: 1920, height: 1080 };
    expect(restoreBounds(saved({ x: -1500, y: -200 }), [laptop, left], MINIMUM)).toEqual(saved({ x: -1500, y: -200 }));
  });

  it('keeps "maximised"; nothing saved (or no displays, or nonsense) gives the default placement', () => {
    expect(restoreBounds(saved({ maximized: true }), [laptop], MINIMUM)?.maximized).toBe(true);
    expect(restoreBounds(null, [laptop], MINIMUM)).toBeNull();
    expect(restoreBounds(saved({}), [], MINIMUM)).toBeNull();
    expect(restoreBounds(saved({ x: Number.NaN }), [laptop], MINIMUM)).toBeNull();
  });
});

type Event = 'resize' | 'move' | 'maximize' | 'unmaximize' | 'close';

class FakeWindow implements TrackedWindow {
  bounds: Rect = { x: 10, y: 20, width: 800, height: 600 };
  maximized = false;
  minimized = false;
  readonly listeners = new Map<Event, Set<() => void>>();
  getNormalBounds(): Rect {
    return { ...this.bounds };
  }
  isMaximized(): boolean {
    return this.maximized;
  }
  isMinimized(): boolean {
    return this.minimized;
  }
  isDestroyed(): boolean {
    return false;
  }
  on(event: Event, listener: () => void): void {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event)!.add(listener);
  }
  removeListener(event: Event, listener: () => void): void {
    this.listeners.get(event)?.delete(listener);
  }
  emit(event: Event): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) listener();
  }
  listenerCount(): number {
    return [...this.listeners.values()].reduce((sum, set) => sum + set.size, 0);
  }
}

describe('trackWindowState', () => {
  function setUp() {
    const window = new FakeWindow();
    const saves: SavedBounds[] = [];
    const timers: Array<() => void> = [];
    const stop = trackWindowState(window, (bounds) => saves.push(bounds), {
      setTimer: (callback) => timers.push(callback) - 1,
      clearTimer: (timer) => {
        timers[timer as number] = () => undefined;
      },
    });
    const flush = () => timers.splice(0).forEach((callback) => callback());
    return { window, saves, stop, flush };
  }

  it('saves once after a burst of moves, with the latest bounds', () => {
    const { window, saves, flush } = setUp();
    for (let x = 0; x < 20; x++) {
      window.bounds = { ...window.bounds, x };
      window.emit('move');
    }
    flush();
    expect(saves).toEqual([{ x: 19, y: 20, width: 800, height: 600, maximized: false }]);
  });

  it('keeps the normal size of a maximised window, and saves as it closes', () => {
    const { window, saves } = setUp();
    window.maximized = true;
    window.emit('close');
    expect(saves).toEqual([{ x: 10, y: 20, width: 800, height: 600, maximized: true }]);
  });

  it('a minimised window is not saved (it would come back at the minimised place)', () => {
    const { window, saves, flush } = setUp();
    window.minimized = true;
    window.emit('resize');
    flush();
    expect(saves).toEqual([]);
  });

  it('stop removes every listener', () => {
    const { window, stop } = setUp();
    expect(window.listenerCount()).toBe(5);
    stop();
    expect(window.listenerCount()).toBe(0);
  });
});
