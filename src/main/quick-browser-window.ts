import { BrowserWindow } from 'electron';
import { SECURE_WEB_PREFERENCES } from './policy';
import { quickRendererUrl, type QuickWindow } from './quick-window';

/** The quick window's size; the page is laid out for it (src/renderer/quick-app.svelte). */
export const QUICK_SIZE = { width: 680, height: 480 };

/**
 * The quick-prompt window: frameless, always on top, out of the task bar, created hidden and
 * kept (QuickWindowController shows and hides it).
 */
export function createQuickBrowserWindow(preload: string, isQuitting: () => boolean): BrowserWindow {
  const window = new BrowserWindow({
    ...QUICK_SIZE,
    show: false,
    frame: false,
    resizable: false,
    minimizable: false,
    maximizable: false,
    fullscreenable: false,
    alwaysOnTop: true,
    skipTaskbar: true,
    title: 'Burrow quick prompt',
    ...(process.platform === 'darwin' ? { type: 'panel' } : {}),
    // Shown from hidden in an instant: the page must not be throttled while it waits.
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload, backgroundThrottling: false },
  });
  if (process.platform === 'darwin') window.setVisibleOnAllWorkspaces(true, { visibleOnFullScreen: true });
  // Closing it (⌘W, Alt+F4) only hides it: it is reused. It really closes when Burrow quits.
  window.on('close', (event) => {
    if (isQuitting()) return;
    event.preventDefault();
    window.hide();
  });
  void window.loadURL(quickRendererUrl());
  return window;
}

/** The BrowserWindow as the controller's narrow interface. */
export function quickWindowOf(window: BrowserWindow): QuickWindow {
  return {
    show: () => window.show(),
    hide: () => window.hide(),
    focus: () => window.focus(),
    focusPage: () => window.webContents.focus(),
    isVisible: () => window.isVisible(),
    isDestroyed: () => window.isDestroyed(),
    getSize: () => window.getSize(),
    setPosition: (x, y) => window.setPosition(x, y),
    on: (event, listener) => (event === 'blur' ? window.on('blur', listener) : window.on('closed', listener)),
    removeListener: (event, listener) => (event === 'blur' ? window.removeListener('blur', listener) : window.removeListener('closed', listener)),
    destroy: () => window.destroy(),
  };
}
