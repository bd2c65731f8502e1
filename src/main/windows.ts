import { BrowserWindow, dialog, shell, type WebContents } from 'electron';
import { isOpenableExternalUrl, isOurPage, rendererUrl, SECURE_WEB_PREFERENCES } from './policy';

export const MAIN_WINDOW_MINIMUM = { width: 640, height: 420 } as const;

export interface MainWindowOptions {
  /** Where it was left (window-state.ts); default: 1100×760, centred. */
  bounds?: { x: number; y: number; width: number; height: number; maximized: boolean } | null;
  /** The conversation to open, passed in the address (#conversation=…) so the page opens it first. */
  conversationId?: string | null;
  /** false: created hidden (started at login, or for the quick window only). Default true. */
  show?: boolean;
}

export function createMainWindow(preload: string, options: MainWindowOptions = {}): BrowserWindow {
  const bounds = options.bounds ?? null;
  const window = new BrowserWindow({
    ...(bounds ? { x: bounds.x, y: bounds.y, width: bounds.width, height: bounds.height } : { width: 1100, height: 760 }),
    minWidth: MAIN_WINDOW_MINIMUM.width,
    minHeight: MAIN_WINDOW_MINIMUM.height,
    title: 'Burrow',
    show: false,
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload },
  });
  if (options.show !== false) {
    window.once('ready-to-show', () => {
      // maximize() also shows the window, so it waits until the window is to be shown anyway.
      if (bounds?.maximized === true) window.maximize();
      window.show();
    });
  }
  const conversation = options.conversationId ? `#conversation=${encodeURIComponent(options.conversationId)}` : '';
  void window.loadURL(`${rendererUrl()}${conversation}`);
  return window;
}

/** No navigation, no new windows; https links open in the system browser after the user confirms. */
export function lockDown(contents: WebContents): void {
  contents.setWindowOpenHandler(({ url }) => {
    if (isOpenableExternalUrl(url)) void confirmAndOpen(url);
    return { action: 'deny' };
  });
  contents.on('will-navigate', (event, url) => {
    if (isOurPage(url)) return;
    event.preventDefault();
    if (isOpenableExternalUrl(url)) void confirmAndOpen(url);
  });
  contents.on('will-attach-webview', (event) => event.preventDefault());
}

async function confirmAndOpen(url: string): Promise<void> {
  const { response } = await dialog.showMessageBox({
    type: 'question',
    buttons: ['Open in browser', 'Cancel'],
    defaultId: 1,
    cancelId: 1,
    message: 'Open this link in your web browser?',
    detail: url,
  });
  if (response === 0) await shell.openExternal(url);
}
