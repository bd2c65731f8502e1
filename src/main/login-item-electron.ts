import { app } from 'electron';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { autostartPath, BACKGROUND_ARG, launchCommand, xdgLoginItem, type LoginItem } from './login-item';

/** "Launch at login" for this system: XDG autostart on Linux, Electron's login items on macOS and Windows. */
export function createLoginItem(): LoginItem {
  if (process.platform === 'linux') {
    return xdgLoginItem(
      autostartPath(process.env, app.getPath('home')),
      launchCommand({ execPath: process.execPath, appImage: process.env.APPIMAGE, packaged: app.isPackaged, appPath: app.getAppPath() }),
      {
        write: (path, text) => {
          mkdirSync(dirname(path), { recursive: true });
          writeFileSync(path, text, { mode: 0o644 });
        },
        remove: (path) => rmSync(path, { force: true }),
      },
    );
  }
  if (process.platform === 'darwin' || process.platform === 'win32') {
    return {
      supported: true,
      set: (openAtLogin) =>
        app.setLoginItemSettings({
          openAtLogin,
          ...(process.platform === 'win32' ? { path: process.execPath, args: app.isPackaged ? [BACKGROUND_ARG] : [app.getAppPath(), BACKGROUND_ARG] } : {}),
        }),
    };
  }
  return { supported: false, set: () => undefined };
}
