import { BrowserWindow, dialog, shell, type WebContents } from 'electron';
import { isOpenableExternalUrl, isOurPage, rendererUrl, SECURE_WEB_PREFERENCES } from './policy';

export function createMainWindow(preload: string): BrowserWindow {
  const window = new BrowserWindow({
    width: 1100,
    height: 760,
    minWidth: 640,
    minHeight: 420,
    title: 'Burrow',
    show: false,
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload },
  });
  window.once('ready-to-show', () => window.show());
  void window.loadURL(rendererUrl());
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
