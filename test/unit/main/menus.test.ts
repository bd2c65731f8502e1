import { describe, expect, it, vi } from 'vitest';
import { applicationMenuTemplate, type AppMenuActions } from '../../../src/main/app-menu';
import type { MenuItem } from '../../../src/main/menu-item';
import { apiUrlOf, trayIconFile, trayMenuTemplate, trayTooltip, type TrayActions } from '../../../src/main/tray-menu';

function trayActions(): TrayActions {
  return { openBurrow: vi.fn(), quickPrompt: vi.fn(), newChat: vi.fn(), unloadModel: vi.fn(), toggleOfflineMode: vi.fn(), openApiSettings: vi.fn(), quit: vi.fn() };
}

function appActions(): AppMenuActions {
  return { newChat: vi.fn(), quickPrompt: vi.fn(), find: vi.fn(), settings: vi.fn(), keyboardShortcuts: vi.fn() };
}

/** Every item of a template, submenus flattened. */
function flatten(items: MenuItem[]): MenuItem[] {
  return items.flatMap((item) => [item, ...flatten(item.submenu ?? [])]);
}

const byId = (items: MenuItem[], id: string): MenuItem => {
  const found = flatten(items).find((item) => item.id === id);
  if (!found) throw new Error(`no item ${id}`);
  return found;
};

describe('tray menu', () => {
  it('offers Open Burrow, Quick prompt, New chat, Unload model and Quit, each doing its own thing', () => {
    const actions = trayActions();
    const template = trayMenuTemplate({ modelName: 'TinyLlama', quickShortcut: 'CommandOrControl+Shift+Space', offlineMode: false, apiUrl: null }, actions);
    expect(template.filter((item) => item.type !== 'separator').map((item) => item.label)).toEqual(['Open Burrow', 'Quick prompt', 'New chat', 'Unload model (TinyLlama)', 'Offline mode (no downloads)', 'Quit Burrow']);
    for (const id of ['open', 'quick', 'new-chat', 'unload', 'offline', 'quit']) byId(template, id).click?.();
    expect(actions.openBurrow).toHaveBeenCalledTimes(1);
    expect(actions.quickPrompt).toHaveBeenCalledTimes(1);
    expect(actions.newChat).toHaveBeenCalledTimes(1);
    expect(actions.unloadModel).toHaveBeenCalledTimes(1);
    expect(actions.toggleOfflineMode).toHaveBeenCalledTimes(1);
    expect(actions.quit).toHaveBeenCalledTimes(1);
    // The shortcut is shown as a reminder, never registered a second time by the menu.
    expect(byId(template, 'quick')).toMatchObject({ accelerator: 'CommandOrControl+Shift+Space', registerAccelerator: false });
  });

  it('shows the local API while it is on, with its URL, opening Settings; nothing while it is off', () => {
    const actions = trayActions();
    const on = trayMenuTemplate({ modelName: null, quickShortcut: null, offlineMode: false, apiUrl: 'http://127.0.0.1:1337/v1' }, actions);
    expect(byId(on, 'api').label).toBe('Local API on — http://127.0.0.1:1337/v1');
    byId(on, 'api').click?.();
    expect(actions.openApiSettings).toHaveBeenCalledTimes(1);
    const off = trayMenuTemplate({ modelName: null, quickShortcut: null, offlineMode: false, apiUrl: null }, actions);
    expect(off.map((item) => item.id)).not.toContain('api');
    expect(off.map((item) => item.label).join(' ')).not.toMatch(/API/);
    // From the core's api.state: only a server that is on shows; starting, failed or off shows nothing.
    expect(apiUrlOf({ state: 'on', url: 'http://127.0.0.1:1337/v1' })).toBe('http://127.0.0.1:1337/v1');
    for (const state of ['off', 'starting', 'error'] as const) expect(apiUrlOf({ state, url: null })).toBeNull();
  });

  it('Unload is disabled when no model is loaded; no shortcut is shown when none is registered', () => {
    const template = trayMenuTemplate({ modelName: null, quickShortcut: null, offlineMode: false, apiUrl: null }, trayActions());
    expect(byId(template, 'unload')).toMatchObject({ label: 'Unload model', enabled: false });
    expect(byId(template, 'quick').accelerator).toBeUndefined();
  });

  it('uses a template image on macOS and the glyph that reads on the panel elsewhere', () => {
    expect(trayIconFile('darwin', true)).toBe('trayTemplate.png');
    expect(trayIconFile('win32', true)).toBe('tray-dark.png');
    expect(trayIconFile('win32', false)).toBe('tray-light.png');
    expect(trayIconFile('linux', true)).toBe('tray-dark.png');
    expect(trayTooltip(null)).toBe('Burrow — private, on this computer');
    expect(trayTooltip('TinyLlama')).toBe('Burrow — private, on this computer · TinyLlama');
    expect(trayTooltip('TinyLlama', true)).toBe('Burrow — offline mode · TinyLlama');
  });

  it('shows offline mode as a checked entry when it is on', () => {
    expect(byId(trayMenuTemplate({ modelName: null, quickShortcut: null, offlineMode: true, apiUrl: null }, trayActions()), 'offline')).toMatchObject({ type: 'checkbox', checked: true });
    expect(byId(trayMenuTemplate({ modelName: null, quickShortcut: null, offlineMode: false, apiUrl: null }, trayActions()), 'offline')).toMatchObject({ type: 'checkbox', checked: false });
  });
});

describe('application menu', () => {
  it('macOS: the app menu with Settings and Quit, File, Edit, View, Window and Help', () => {
    const template = applicationMenuTemplate({ platform: 'darwin', isDev: false, appName: 'Burrow' }, appActions());
    expect(template.map((item) => item.label ?? item.role)).toEqual(['Burrow', 'File', 'Edit', 'View', 'windowMenu', 'Help']);
    const appMenu = template[0]!.submenu!;
    expect(appMenu.map((item) => item.role ?? item.id ?? item.type)).toEqual(['about', 'separator', 'settings', 'separator', 'services', 'separator', 'hide', 'hideOthers', 'unhide', 'separator', 'quit']);
  });

  it('Windows and Linux: Settings and Quit under File, keyboard mnemonics', () => {
    const template = applicationMenuTemplate({ platform: 'linux', isDev: false, appName: 'Burrow' }, appActions());
    expect(template.map((item) => item.label)).toEqual(['&File', '&Edit', '&View', '&Window', '&Help']);
    const file = flatten(template[0]!.submenu!);
    expect(file.map((item) => item.id ?? item.role ?? item.type)).toEqual(['new-chat', 'quick-prompt', 'separator', 'settings', 'separator', 'close', 'quit']);
  });

  it('Edit has the roles that make copy and paste work, and Find', () => {
    for (const platform of ['darwin', 'win32', 'linux'] as const) {
      const edit = applicationMenuTemplate({ platform, isDev: false, appName: 'Burrow' }, appActions()).find((item) => item.label?.includes('Edit'))!;
      const roles = edit.submenu!.map((item) => item.role).filter(Boolean);
      expect(roles).toEqual(expect.arrayContaining(['undo', 'redo', 'cut', 'copy', 'paste', 'selectAll']));
      expect(edit.submenu!.some((item) => item.id === 'find')).toBe(true);
    }
  });

  it('keys the page handles itself are shown but not registered, so a key never acts twice', () => {
    const template = applicationMenuTemplate({ platform: 'linux', isDev: false, appName: 'Burrow' }, appActions());
    expect(byId(template, 'new-chat')).toMatchObject({ accelerator: 'CommandOrControl+N', registerAccelerator: false });
    expect(byId(template, 'find')).toMatchObject({ accelerator: 'CommandOrControl+K', registerAccelerator: false });
    expect(byId(template, 'settings')).toMatchObject({ accelerator: 'CommandOrControl+,', registerAccelerator: false });
    expect(byId(template, 'shortcuts')).toMatchObject({ accelerator: 'CommandOrControl+/', registerAccelerator: false });
  });

  it('each command calls its action', () => {
    const actions = appActions();
    const template = applicationMenuTemplate({ platform: 'win32', isDev: false, appName: 'Burrow' }, actions);
    for (const id of ['new-chat', 'quick-prompt', 'find', 'settings', 'shortcuts']) byId(template, id).click?.();
    expect(actions.newChat).toHaveBeenCalledTimes(1);
    expect(actions.quickPrompt).toHaveBeenCalledTimes(1);
    expect(actions.find).toHaveBeenCalledTimes(1);
    expect(actions.settings).toHaveBeenCalledTimes(1);
    expect(actions.keyboardShortcuts).toHaveBeenCalledTimes(1);
  });

  it('Reload and the developer tools only in development', () => {
    const roles = (isDev: boolean) => flatten(applicationMenuTemplate({ platform: 'linux', isDev, appName: 'Burrow' }, appActions())).map((item) => item.role);
    expect(roles(false)).not.toContain('reload');
    expect(roles(false)).not.toContain('toggleDevTools');
    expect(roles(true)).toEqual(expect.arrayContaining(['reload', 'forceReload', 'toggleDevTools']));
  });
});
