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
import type { AppSettings, UiCommand } from '../shared/contract';
import { applicationMenuTemplate } from './app-menu';
import { launchRequestFrom, parseLaunchArgs, type LaunchRequest } from './launch-args';
import { createLoginItem } from './login-item-electron';
import type { MenuItem } from './menu-item';
import { createQuickBrowserWindow, quickWindowOf } from './quick-browser-window';
import { QuickWindowController } from './quick-window';
import { ShortcutManager } from './shortcuts';
import { trayIconFile, trayMenuTemplate, trayTooltip } from './tray-menu';
import { restoreBounds, trackWindowState } from './window-state';
import { createMainWindow, MAIN_WINDOW_MINIMUM } from './windows';

const NO_TRAY_ACTIONS = { openBurrow: () => undefined, quickPrompt: () => undefined, newChat: () => undefined, unloadModel: () => undefined, toggleOfflineMode: () => undefined, quit: () => undefined };

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
  let tray: Tray | null = null;
  let quitting = false;
  let trayState = { modelName: null as string | null, quickShortcut: null as string | null, offlineMode: false };
  const isMac = process.platform === 'darwin';

  const quick = new QuickWindowController({
    create: () => quickWindowOf(createQuickBrowserWindow(options.preload, () => quitting)),
    screen: {
      cursor: () => screen.getCursorScreenPoint(),
      workAreaNear: (point) => screen.getDisplayNearestPoint(point).workArea,
    },
  });
  const shortcuts = new ShortcutManager({
    shortcuts: { register: (accelerator, callback) => globalShortcut.register(accelerator, callback), unregister: (accelerator) => globalShortcut.unregister(accelerator) },
    onPress: () => quick.toggle(),
    onStatus: (status) => {
      assistant?.preferences.setShortcutStatus(status);
      trayState = { ...trayState, quickShortcut: status.state === 'registered' ? status.accelerator : null };
      refreshTray();
    },
    isMac,
    fallbackHint: isMac ? 'Until then, open the quick prompt from the menu bar icon.' : 'Until then, open the quick prompt from the tray icon, or run `burrow --quick`.',
  });
  const loginItem = createLoginItem();

  function command(command: UiCommand): void {
    assistant?.preferences.command(command);
  }

  function showMainWindow(conversationId: string | null): void {
    quick.hide();
    if (mainWindow !== undefined && !mainWindow.isDestroyed()) {
      if (mainWindow.isMinimized()) mainWindow.restore();
      mainWindow.show();
      mainWindow.focus();
      return;
    }
    openMainWindow({ conversationId, show: true });
  }

  function openMainWindow({ conversationId, show }: { conversationId: string | null; show: boolean }): void {
    if (assistant === null) return;
    const preferences = assistant.preferences;
    const bounds = restoreBounds(
      preferences.windowBounds(),
      screen.getAllDisplays().map((display) => display.workArea),
      MAIN_WINDOW_MINIMUM,
    );
    const window = createMainWindow(options.preload, { bounds, conversationId: conversationId ?? preferences.openConversation(), show });
    const stopTracking = trackWindowState(window, (saved) => preferences.saveWindowBounds(saved));
    window.on('closed', () => {
      stopTracking();
      if (mainWindow === window) {
        mainWindow = undefined;
        options.onMainWindow(undefined);
      }
      // With a tray icon Burrow stays ready for the shortcut; without one, closing the window quits.
      if (tray === null && !isMac && !quitting) app.quit();
    });
    mainWindow = window;
    options.onMainWindow(window);
  }

  function refreshTray(): void {
    if (tray === null || tray.isDestroyed()) return;
    const template = trayMenuTemplate(trayState, {
      openBurrow: () => showMainWindow(null),
      quickPrompt: () => quick.show(),
      newChat: () => {
        showMainWindow(null);
        command({ command: 'new-chat' });
      },
      unloadModel: () => void assistant?.router.call('models.unload', {}),
      toggleOfflineMode: () => void assistant?.router.call('settings.set', { patch: { offlineMode: !trayState.offlineMode } }),
      quit: () => app.quit(),
    });
    tray.setContextMenu(Menu.buildFromTemplate(toElectron(template)));
    tray.setToolTip(trayTooltip(trayState.modelName, trayState.offlineMode));
  }

  function createTray(): void {
    try {
      const resources = app.isPackaged ? process.resourcesPath : join(app.getAppPath(), 'resources');
      const darkPanel = process.platform === 'win32' ? nativeTheme.shouldUseDarkColorsForSystemIntegratedUI : process.platform === 'linux' ? true : nativeTheme.shouldUseDarkColors;
      const image = nativeImage.createFromPath(join(resources, 'tray', trayIconFile(process.platform, darkPanel)));
      if (isMac) image.setTemplateImage(true);
      tray = new Tray(image);
      // Windows: a click opens Burrow, the menu is on the right button. macOS and Linux show the menu.
      if (process.platform === 'win32') tray.on('click', () => showMainWindow(null));
      refreshTray();
    } catch (error) {
      console.warn('[burrow] no tray icon on this desktop:', error);
      tray = null;
    }
  }

  function applySettings(settings: AppSettings, atStart: boolean): void {
    shortcuts.apply(settings);
    nativeTheme.themeSource = settings.theme;
    if (settings.offlineMode !== trayState.offlineMode) {
      trayState = { ...trayState, offlineMode: settings.offlineMode };
      refreshTray();
    }
    // At start only a "yes" is written again (the program may have moved since); a "no" stays as it is.
    if (loginItem.supported && (!atStart || settings.launchAtLogin)) {
      try {
        loginItem.set(settings.launchAtLogin);
      } catch (error) {
        console.error('[burrow] could not change launch at login:', error);
      }
    }
  }

  function handle(request: LaunchRequest): void {
    if (request.quick) quick.show();
    else if (!request.background) showMainWindow(null);
  }

  /**
   * For test/e2e/electron.desktop.spec.ts only (BURROW_E2E_HOOKS=1): what Electron's API cannot
   * read back (the tray's menu), and the shortcut's action without a keyboard the OS would see.
   */
  function exposeTestHooks(): void {
    Object.assign(globalThis, {
      __burrowDesktop: {
        toggleQuick: () => quick.toggle(),
        quickVisible: () => quick.visible,
        trayMenu: () => (tray === null ? null : trayMenuTemplate(trayState, NO_TRAY_ACTIONS).flatMap((item) => (item.label === undefined ? [] : [item.label]))),
        shortcutRegistered: (accelerator: string) => globalShortcut.isRegistered(accelerator),
      },
    });
  }

  const host: DesktopHost = {
    showMainWindow,
    hideQuickWindow: () => quick.hide(),
    canLaunchAtLogin: loginItem.supported,
  };

  return {
    host,
    showMainWindow,
    start(started) {
      assistant = started;
      const launch = parseLaunchArgs(options.argv);
      // The quick window is made now, hidden, so that the shortcut shows it at once.
      quick.prepare();
      if (!launch.quick && !launch.background) openMainWindow({ conversationId: null, show: true });
      Menu.setApplicationMenu(
        Menu.buildFromTemplate(
          toElectron(
            applicationMenuTemplate(
              { platform: process.platform, isDev: !app.isPackaged, appName: 'Burrow' },
              {
                newChat: () => {
                  showMainWindow(null);
                  command({ command: 'new-chat' });
                },
                quickPrompt: () => quick.show(),
                find: () => command({ command: 'search' }),
                settings: () => {
                  showMainWindow(null);
                  command({ command: 'settings' });
                },
                keyboardShortcuts: () => command({ command: 'shortcuts' }),
              },
            ),
          ),
        ),
      );
      createTray();
      started.subscribe((name, payload) => {
        if (name === 'settings.changed') applySettings(payload, false);
        else if (name === 'engine.state') {
          const modelName = payload.model?.name ?? null;
          if (modelName !== trayState.modelName) {
            trayState = { ...trayState, modelName };
            refreshTray();
          }
        }
      });
      applySettings(started.preferences.settings(), true);
      if (launch.quick) quick.show();
      if (process.env.BURROW_E2E_HOOKS === '1') exposeTestHooks();

      app.on('before-quit', () => {
        if (quitting) return;
        quitting = true;
        // Released first: the key is the user's again even if closing the database takes a moment.
        shortcuts.dispose();
        quick.dispose();
        tray?.destroy();
        tray = null;
      });
    },
    secondInstance(argv, additionalData) {
      handle(launchRequestFrom(argv, additionalData));
    },
  };
}

function toElectron(template: MenuItem[]): MenuItemConstructorOptions[] {
  // MenuItem is a structural subset of MenuItemConstructorOptions.
  return template as MenuItemConstructorOptions[];
}
