/**
 * Desktop life, as Electron glue: the main window (restored where it was left, with its
 * conversation), the quick-prompt window and its global shortcut, the tray, the application
 * menu, launch at login and second launches. The decisions live in pure modules beside this
 * one (quick-window, shortcuts, tray-menu, app-menu, window-state, login-item, launch-args),
 * each tested with fakes; this file only connects them to Electron.
 */
import { app, globalShortcut, Menu, nativeImage, nativeTheme, screen, Tray, type BrowserWindow, type MenuItemConstructorOptions } from 'electron';
import { join } from 'node:path';
import type { Assistant } from '../core/assistant';
import type { DesktopHost } from '../core/settings/preferences';
import type { ApiStatus, AppSettings, UiCommand } from '../shared/contract';
import { applicationMenuTemplate } from './app-menu';
import { launchRequestFrom, parseLaunchArgs, type LaunchRequest } from './launch-args';
import { createLoginItem } from './login-item-electron';
import type { MenuItem } from './menu-item';
import { createQuickBrowserWindow, quickWindowOf } from './quick-browser-window';
import { QuickWindowController } from './quick-window';
import { ShortcutManager } from './shortcuts';
import { apiUrlOf, trayIconFile, trayMenuTemplate, trayTooltip } from './tray-menu';
import { restoreBounds, trackWindowState } from './window-state';
import { createMainWindow, MAIN_WINDOW_MINIMUM } from './windows';

const NO_TRAY_ACTIONS = { openBurrow: () => undefined, quickPrompt: () => undefined, newChat: () => undefined, unloadModel: () => undefined, toggleOfflineMode: () => undefined, openApiSettings: () => undefined, quit: () => undefined };

/**
 * Before the app is ready: on Wayland, global shortcuts go through the desktop portal
 * (xdg-desktop-portal GlobalShortcuts), where the session offers one.
 */
export function prepareDesktopSwitches(env: NodeJS.ProcessEnv = process.env): void {
  if (process.platform === 'linux' && (env.XDG_SESSION_TYPE === 'wayland' || env.WAYLAND_DISPLAY !== undefined)) {
    app.commandLine.appendSwitch('enable-features', 'GlobalShortcutsPortal');
  }
}

/** What a second launch passes to the running Burrow (app.requestSingleInstanceLock's data). */
export function singleInstanceData(argv: readonly string[]): LaunchRequest {
  return parseLaunchArgs(argv);
}

export interface DesktopShellOptions {
  preload: string;
  argv: readonly string[];
  /** Told whenever the main window is created or closed (index.ts parents its dialogs on it). */
  onMainWindow: (window: BrowserWindow | undefined) => void;
}

export interface DesktopShell {
  /** For createAssistant: what the core may ask of the windows. */
  readonly host: DesktopHost;
  /** Once the core is up: windows, shortcut, tray and menu. */
  start(assistant: Assistant): void;
  secondInstance(argv: readonly string[], additionalData: unknown): void;
  showMainWindow(conversationId: string | null): void;
}

export function createDesktopShell(options: DesktopShellOptions): DesktopShell {
  let assistant: Assistant | null = null;
  let mainWindow: BrowserWindow | undefined;
  let quitting = false;
  const isMac = process.platform === 'darwin';

  const quick = createQuickWindow(options.preload, () => quitting);
  const shortcuts = createShortcuts(isMac, () => quick.toggle(), (status) => {
    assistant?.preferences.setShortcutStatus(status);
    tray.update({ quickShortcut: status.state === 'registered' ? status.accelerator : null });
  });
  const loginItem = createLoginItem();
  const tray = new TrayIcon({
    openBurrow: () => showMainWindow(null),
    quickPrompt: () => quick.show(),
    newChat: () => showWith('new-chat'),
    unloadModel: () => void assistant?.router.call('models.unload', {}),
    toggleOfflineMode: () => void assistant?.router.call('settings.set', { patch: { offlineMode: !tray.state.offlineMode } }),
    openApiSettings: () => showWith('settings'),
    quit: () => app.quit(),
  });

  function command(command: UiCommand): void {
    assistant?.preferences.command(command);
  }

  /** The main window, showing what the command asks for (a new chat, the settings). */
  function showWith(name: UiCommand['command']): void {
    showMainWindow(null);
    command({ command: name });
  }

  function showMainWindow(conversationId: string | null): void {
    quick.hide();
    if (mainWindow !== undefined && !mainWindow.isDestroyed()) bringToFront(mainWindow);
    else openMainWindow({ conversationId, show: true });
  }

  function openMainWindow({ conversationId, show }: { conversationId: string | null; show: boolean }): void {
    if (assistant === null) return;
    const window = createTrackedMainWindow(options.preload, assistant.preferences, { conversationId, show }, () => {
      if (mainWindow === window) {
        mainWindow = undefined;
        options.onMainWindow(undefined);
      }
      // With a tray icon Burrow stays ready for the shortcut; without one, closing the window quits.
      if (!tray.shown && !isMac && !quitting) app.quit();
    });
    mainWindow = window;
    options.onMainWindow(window);
  }

  function applySettings(settings: AppSettings, atStart: boolean): void {
    shortcuts.apply(settings);
    nativeTheme.themeSource = settings.theme;
    tray.update({ offlineMode: settings.offlineMode });
    applyLaunchAtLogin(loginItem, settings, atStart);
  }

  return {
    host: { showMainWindow, hideQuickWindow: () => quick.hide(), canLaunchAtLogin: loginItem.supported } satisfies DesktopHost,
    showMainWindow,
    start(started) {
      assistant = started;
      const launch = parseLaunchArgs(options.argv);
      // The quick window is made now, hidden, so that the shortcut shows it at once.
      quick.prepare();
      if (!launch.quick && !launch.background) openMainWindow({ conversationId: null, show: true });
      installApplicationMenu({ showMainWindow: () => showMainWindow(null), showQuick: () => quick.show(), command });
      tray.create();
      started.subscribe((name, payload) => {
        if (name === 'settings.changed') applySettings(payload, false);
      });
      tray.follow(started);
      applySettings(started.preferences.settings(), true);
      if (launch.quick) quick.show();
      if (process.env.BURROW_E2E_HOOKS === '1') exposeTestHooks(quick, tray);

      app.on('before-quit', () => {
        if (quitting) return;
        quitting = true;
        // Released first: the key is the user's again even if closing the database takes a moment.
        for (const part of [shortcuts, quick, tray]) part.dispose();
      });
    },
    secondInstance(argv, additionalData) {
      const request = launchRequestFrom(argv, additionalData);
      if (request.quick) quick.show();
      else if (!request.background) showMainWindow(null);
    },
  };
}

function createQuickWindow(preload: string, quitting: () => boolean): QuickWindowController {
  return new QuickWindowController({
    create: () => quickWindowOf(createQuickBrowserWindow(preload, quitting)),
    screen: {
      cursor: () => screen.getCursorScreenPoint(),
      workAreaNear: (point) => screen.getDisplayNearestPoint(point).workArea,
    },
  });
}

function createShortcuts(isMac: boolean, onPress: () => void, onStatus: ConstructorParameters<typeof ShortcutManager>[0]['onStatus']): ShortcutManager {
  return new ShortcutManager({
    shortcuts: { register: (accelerator, callback) => globalShortcut.register(accelerator, callback), unregister: (accelerator) => globalShortcut.unregister(accelerator) },
    onPress,
    onStatus,
    isMac,
    fallbackHint: isMac ? 'Until then, open the quick prompt from the menu bar icon.' : 'Until then, open the quick prompt from the tray icon, or run `burrow --quick`.',
  });
}

/** The main window where it was left, its size and place saved as they change. */
function createTrackedMainWindow(preload: string, preferences: Assistant['preferences'], open: { conversationId: string | null; show: boolean }, onClosed: () => void): BrowserWindow {
  const bounds = restoreBounds(
    preferences.windowBounds(),
    screen.getAllDisplays().map((display) => display.workArea),
    MAIN_WINDOW_MINIMUM,
  );
  const window = createMainWindow(preload, { bounds, conversationId: open.conversationId ?? preferences.openConversation(), show: open.show });
  const stopTracking = trackWindowState(window, (saved) => preferences.saveWindowBounds(saved));
  window.on('closed', () => {
    stopTracking();
    onClosed();
  });
  return window;
}

function bringToFront(window: BrowserWindow): void {
  if (window.isMinimized()) window.restore();
  window.show();
  window.focus();
}

/** At start only a "yes" is written again (the program may have moved since); a "no" stays as it is. */
function applyLaunchAtLogin(loginItem: ReturnType<typeof createLoginItem>, settings: AppSettings, atStart: boolean): void {
  if (!loginItem.supported || (atStart && !settings.launchAtLogin)) return;
  try {
    loginItem.set(settings.launchAtLogin);
  } catch (error) {
    console.error('[burrow] could not change launch at login:', error);
  }
}

type TrayState = { modelName: string | null; quickShortcut: string | null; offlineMode: boolean; apiUrl: string | null };

type TrayActions = Parameters<typeof trayMenuTemplate>[1];

/** The tray (menu bar) icon and its menu, rebuilt when what it shows changes; none where the desktop has no tray. */
class TrayIcon {
  state: TrayState = { modelName: null, quickShortcut: null, offlineMode: false, apiUrl: null };
  #tray: Tray | null = null;
  readonly #actions: TrayActions;

  constructor(actions: TrayActions) {
    this.#actions = actions;
  }

  get shown(): boolean {
    return this.#tray !== null;
  }

  create(): void {
    try {
      const resources = app.isPackaged ? process.resourcesPath : join(app.getAppPath(), 'resources');
      const darkPanel = process.platform === 'win32' ? nativeTheme.shouldUseDarkColorsForSystemIntegratedUI : process.platform === 'linux' ? true : nativeTheme.shouldUseDarkColors;
      const image = nativeImage.createFromPath(join(resources, 'tray', trayIconFile(process.platform, darkPanel)));
      if (process.platform === 'darwin') image.setTemplateImage(true);
      this.#tray = new Tray(image);
      // Windows: a click opens Burrow, the menu is on the right button. macOS and Linux show the menu.
      if (process.platform === 'win32') this.#tray.on('click', () => this.#actions.openBurrow());
      this.#refresh();
    } catch (error) {
      console.warn('[burrow] no tray icon on this desktop:', error);
      this.#tray = null;
    }
  }

  update(change: Partial<TrayState>): void {
    const next = { ...this.state, ...change };
    if ((Object.keys(next) as Array<keyof TrayState>).every((key) => next[key] === this.state[key])) return;
    this.state = next;
    this.#refresh();
  }

  /** What the tray shows of the core: the loaded model, and the local API's URL while it is on. */
  follow(assistant: Assistant): void {
    assistant.subscribe((name, payload) => {
      if (name === 'engine.state') this.update({ modelName: payload.model?.name ?? null });
      else if (name === 'api.state') this.update({ apiUrl: apiUrlOf(payload) });
    });
    void assistant.router.call('api.status', {}).then((result) => result.ok && this.update({ apiUrl: apiUrlOf(result.value as ApiStatus) }));
  }

  /** The menu's labels, for the Electron e2e test (Electron cannot read a tray menu back). */
  labels(): string[] | null {
    return this.#tray === null ? null : trayMenuTemplate(this.state, NO_TRAY_ACTIONS).flatMap((item) => (item.label === undefined ? [] : [item.label]));
  }

  dispose(): void {
    this.#tray?.destroy();
    this.#tray = null;
  }

  #refresh(): void {
    if (this.#tray === null || this.#tray.isDestroyed()) return;
    this.#tray.setContextMenu(Menu.buildFromTemplate(toElectron(trayMenuTemplate(this.state, this.#actions))));
    this.#tray.setToolTip(trayTooltip(this.state.modelName, this.state.offlineMode));
  }
}

function installApplicationMenu(actions: { showMainWindow: () => void; showQuick: () => void; command: (command: UiCommand) => void }): void {
  const template = applicationMenuTemplate(
    { platform: process.platform, isDev: !app.isPackaged, appName: 'Burrow' },
    {
      newChat: () => {
        actions.showMainWindow();
        actions.command({ command: 'new-chat' });
      },
      quickPrompt: actions.showQuick,
      find: () => actions.command({ command: 'search' }),
      settings: () => {
        actions.showMainWindow();
        actions.command({ command: 'settings' });
      },
      keyboardShortcuts: () => actions.command({ command: 'shortcuts' }),
    },
  );
  Menu.setApplicationMenu(Menu.buildFromTemplate(toElectron(template)));
}

/**
 * For test/e2e/electron.desktop.spec.ts only (BURROW_E2E_HOOKS=1): what Electron's API cannot
 * read back (the tray's menu), and the shortcut's action without a keyboard the OS would see.
 */
function exposeTestHooks(quick: QuickWindowController, tray: TrayIcon): void {
  Object.assign(globalThis, {
    __burrowDesktop: {
      toggleQuick: () => quick.toggle(),
      quickVisible: () => quick.visible,
      trayMenu: () => tray.labels(),
      shortcutRegistered: (accelerator: string) => globalShortcut.isRegistered(accelerator),
    },
  });
}

function toElectron(template: MenuItem[]): MenuItemConstructorOptions[] {
  // MenuItem is a structural subset of MenuItemConstructorOptions.
  return template as MenuItemConstructorOptions[];
}
