import { describe, expect, it } from 'vitest';
import { ShortcutManager, type GlobalShortcuts, type ShortcutStatus } from '../../../src/main/shortcuts';

/** The system's global shortcuts: some keys belong to other apps. */
class FakeShortcuts implements GlobalShortcuts {
  readonly held = new Map<string, () => void>();
  readonly takenByOthers = new Set<string>();
  throwFor: string | null = null;
  register(accelerator: string, callback: () => void): boolean {
    if (accelerator === this.throwFor) throw new Error('not supported on this session');
    if (this.takenByOthers.has(accelerator) || this.held.has(accelerator)) return false;
    this.held.set(accelerator, callback);
    return true;
  }
  unregister(accelerator: string): void {
    this.held.delete(accelerator);
  }
  press(accelerator: string): void {
    this.held.get(accelerator)?.();
  }
}

function setUp() {
  const system = new FakeShortcuts();
  const statuses: ShortcutStatus[] = [];
  let presses = 0;
  const manager = new ShortcutManager({ shortcuts: system, onPress: () => presses++, onStatus: (status) => statuses.push(status), isMac: false });
  return { system, statuses, manager, presses: () => presses };
}

describe('ShortcutManager', () => {
  it('registers the shortcut; pressing it calls back', () => {
    const { system, manager, statuses, presses } = setUp();
    expect(manager.apply({ shortcut: 'CommandOrControl+Shift+Space', shortcutEnabled: true })).toEqual({ state: 'registered', accelerator: 'CommandOrControl+Shift+Space', message: null });
    system.press('CommandOrControl+Shift+Space');
    expect(presses()).toBe(1);
    expect(statuses).toHaveLength(1);
  });

  it('a key another app holds is reported with the next step, never thrown', () => {
    const { system, manager, statuses } = setUp();
    system.takenByOthers.add('CommandOrControl+Shift+Space');
    const status = manager.apply({ shortcut: 'CommandOrControl+Shift+Space', shortcutEnabled: true });
    expect(status.state).toBe('conflict');
    expect(status.message).toMatch(/Another app is already using Ctrl\+Shift\+Space\. Choose another shortcut/);
    expect(status.message).toMatch(/tray/);
    expect(statuses.at(-1)).toEqual(status);
    expect(system.held.size).toBe(0);
  });

  it('re-registers after a settings change: the old key is released, the new one taken', () => {
    const { system, manager } = setUp();
    manager.apply({ shortcut: 'CommandOrControl+Shift+Space', shortcutEnabled: true });
    manager.apply({ shortcut: 'Alt+Space', shortcutEnabled: true });
    expect([...system.held.keys()]).toEqual(['Alt+Space']);
    // After a conflict, another key works.
    system.takenByOthers.add('Control+Alt+K');
    expect(manager.apply({ shortcut: 'Ctrl+Alt+K', shortcutEnabled: true }).state).toBe('conflict');
    expect(system.held.size).toBe(0);
    expect(manager.apply({ shortcut: 'Ctrl+Alt+J', shortcutEnabled: true }).state).toBe('registered');
    expect([...system.held.keys()]).toEqual(['Control+Alt+J']);
  });

  it('"try again": the same settings retry a key that was taken, and change nothing once it is held', () => {
    const { system, manager, statuses } = setUp();
    system.takenByOthers.add('Alt+Space');
    expect(manager.apply({ shortcut: 'Alt+Space', shortcutEnabled: true }).state).toBe('conflict');
    system.takenByOthers.clear();
    expect(manager.apply({ shortcut: 'Alt+Space', shortcutEnabled: true }).state).toBe('registered');
    const reports = statuses.length;
    manager.apply({ shortcut: 'Alt+Space', shortcutEnabled: true });
    expect(statuses).toHaveLength(reports);
    expect(system.held.size).toBe(1);
  });

  it('turned off: released and reported as off; on again: registered', () => {
    const { system, manager } = setUp();
    manager.apply({ shortcut: 'Alt+Space', shortcutEnabled: true });
    expect(manager.apply({ shortcut: 'Alt+Space', shortcutEnabled: false }).state).toBe('off');
    expect(system.held.size).toBe(0);
    expect(manager.apply({ shortcut: 'Alt+Space', shortcutEnabled: true }).state).toBe('registered');
  });

  it('a system that cannot register global shortcuts is reported as unavailable', () => {
    const { system, manager } = setUp();
    system.throwFor = 'Alt+Space';
    const status = manager.apply({ shortcut: 'Alt+Space', shortcutEnabled: true });
    expect(status.state).toBe('unavailable');
    expect(status.message).toContain('not supported on this session');
  });

  it('a malformed shortcut is refused before the system sees it', () => {
    const { system, manager } = setUp();
    const status = manager.apply({ shortcut: 'J', shortcutEnabled: true });
    expect(status.state).toBe('conflict');
    expect(status.message).toMatch(/Add Ctrl, Alt or ⌘/);
    expect(system.held.size).toBe(0);
  });

  it('unregisters on quit, and stays released', () => {
    const { system, manager } = setUp();
    manager.apply({ shortcut: 'Alt+Space', shortcutEnabled: true });
    manager.dispose();
    expect(system.held.size).toBe(0);
    manager.apply({ shortcut: 'Alt+Space', shortcutEnabled: true });
    expect(system.held.size).toBe(0);
  });
});
