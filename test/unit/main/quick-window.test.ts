import { describe, expect, it } from 'vitest';
import { QuickWindowController, quickRendererUrl, quickWindowPosition, type QuickWindow, type Rect } from '../../../src/main/quick-window';

type Event = 'blur' | 'closed';

/** A BrowserWindow stand-in that counts its listeners and records what was done to it. */
class FakeWindow implements QuickWindow {
  visible = false;
  destroyed = false;
  position: [number, number] | null = null;
  focusedPage = 0;
  readonly listeners = new Map<Event, Set<() => void>>();

  show(): void {
    this.visible = true;
  }
  hide(): void {
    this.visible = false;
  }
  focus(): void {}
  focusPage(): void {
    this.focusedPage++;
  }
  isVisible(): boolean {
    return this.visible;
  }
  isDestroyed(): boolean {
    return this.destroyed;
  }
  getSize(): number[] {
    return [680, 480];
  }
  setPosition(x: number, y: number): void {
    this.position = [x, y];
  }
  on(event: Event, listener: () => void): void {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event)!.add(listener);
  }
  removeListener(event: Event, listener: () => void): void {
    this.listeners.get(event)?.delete(listener);
  }
  destroy(): void {
    this.destroyed = true;
    this.visible = false;
    this.emit('closed');
  }
  emit(event: Event): void {
    for (const listener of [...(this.listeners.get(event) ?? [])]) listener();
  }
  listenerCount(): number {
    return [...this.listeners.values()].reduce((sum, set) => sum + set.size, 0);
  }
}

const displays: Rect[] = [
  { x: 0, y: 0, width: 1920, height: 1040 },
  { x: 1920, y: -200, width: 2560, height: 1400 },
];

function setUp() {
  const created: FakeWindow[] = [];
  let cursor = { x: 100, y: 100 };
  const controller = new QuickWindowController({
    create: () => {
      const window = new FakeWindow();
      created.push(window);
      return window;
    },
    screen: {
      cursor: () => cursor,
      workAreaNear: (point) => displays.find((area) => point.x >= area.x && point.x < area.x + area.width) ?? displays[0]!,
    },
  });
  return {
    controller,
    created,
    moveMouse(x: number, y: number) {
      cursor = { x, y };
    },
  };
}

describe('QuickWindowController', () => {
  it('creates the window hidden at start, so the shortcut only has to show it', () => {
    const { controller, created } = setUp();
    controller.prepare();
    expect(created).toHaveLength(1);
    expect(created[0]!.visible).toBe(false);
    controller.toggle();
    expect(created).toHaveLength(1);
    expect(created[0]!.visible).toBe(true);
    expect(created[0]!.focusedPage).toBe(1);
  });

  it('50 rapid toggles: exactly one window, no listener added after the first, and it ends as it should', () => {
    const { controller, created } = setUp();
    controller.prepare();
    const listenersAtStart = created[0]!.listenerCount();
    expect(listenersAtStart).toBe(2);
    for (let press = 1; press <= 50; press++) {
      controller.toggle();
      expect(controller.visible).toBe(press % 2 === 1);
    }
    expect(created).toHaveLength(1);
    expect(created[0]!.listenerCount()).toBe(listenersAtStart);
    expect(controller.visible).toBe(false);
  });

  it('shows centred on the display under the mouse', () => {
    const { controller, created, moveMouse } = setUp();
    moveMouse(2500, 300);
    controller.show();
    expect(created[0]!.position).toEqual([1920 + (2560 - 680) / 2, -200 + Math.round((1400 - 480) * 0.4)]);
    controller.hide();
    moveMouse(10, 10);
    controller.show();
    expect(created[0]!.position).toEqual([(1920 - 680) / 2, Math.round((1040 - 480) * 0.4)]);
  });

  it('hides when it loses focus', () => {
    const { controller, created } = setUp();
    controller.show();
    created[0]!.emit('blur');
    expect(controller.visible).toBe(false);
  });

  it('a window closed from outside is replaced on the next show, and the old one keeps no listeners', () => {
    const { controller, created } = setUp();
    controller.show();
    created[0]!.destroy();
    expect(created[0]!.listenerCount()).toBe(0);
    controller.toggle();
    expect(created).toHaveLength(2);
    expect(created[1]!.visible).toBe(true);
    expect(created[1]!.listenerCount()).toBe(2);
  });

  it('dispose (quitting) destroys the window and removes its listeners', () => {
    const { controller, created } = setUp();
    controller.show();
    controller.dispose();
    expect(created[0]!.destroyed).toBe(true);
    expect(created[0]!.listenerCount()).toBe(0);
    expect(controller.visible).toBe(false);
  });
});

describe('quick window placement and page', () => {
  it('keeps the window on a display smaller than itself', () => {
    expect(quickWindowPosition({ width: 680, height: 480 }, { x: 100, y: 50, width: 600, height: 400 })).toEqual({ x: 100, y: 50 });
  });

  it('loads quick.html from app:// or from the dev server', () => {
    expect(quickRendererUrl({} as NodeJS.ProcessEnv)).toBe('app://burrow/quick.html');
    expect(quickRendererUrl({ ELECTRON_RENDERER_URL: 'http://localhost:5173' } as NodeJS.ProcessEnv)).toBe('http://localhost:5173/quick.html');
  });
});
