import { describe, expect, it } from 'vitest';
import { launchRequestFrom, parseLaunchArgs } from '../../../src/main/launch-args';
import { autostartEntry, autostartPath, desktopExecArg, launchCommand, xdgLoginItem } from '../../../src/main/login-item';
import { isPermissionAllowed } from '../../../src/main/permissions';

describe('launch arguments', () => {
  it('`burrow --quick` asks for the quick window, `--background` for the tray only', () => {
    expect(parseLaunchArgs(['/opt/Burrow/burrow'])).toEqual({ quick: false, background: false });
    expect(parseLaunchArgs(['/opt/Burrow/burrow', '--quick'])).toEqual({ quick: true, background: false });
    expect(parseLaunchArgs(['/opt/Burrow/burrow', '--background'])).toEqual({ quick: false, background: true });
  });

  it('a second launch is read from its lock data, and from its argv when the data is not ours', () => {
    expect(launchRequestFrom(['burrow'], { quick: true, background: false })).toEqual({ quick: true, background: false });
    // Chromium may move switches around in a second instance's argv: the data wins.
    expect(launchRequestFrom(['burrow', '--allow-file-access', '--quick'], null)).toEqual({ quick: true, background: false });
    expect(launchRequestFrom(['burrow'], { quick: 'yes' })).toEqual({ quick: false, background: false });
  });
});

describe('launch at login on Linux (XDG autostart)', () => {
  it('writes a desktop entry that starts Burrow in the tray, and removes it when turned off', () => {
    const files = new Map<string, string>();
    const item = xdgLoginItem('/home/ann/.config/autostart/burrow.desktop', ['/opt/Burrow/burrow', '--background'], {
      write: (path, text) => files.set(path, text),
      remove: (path) => files.delete(path),
    });
    item.set(true);
    const entry = files.get('/home/ann/.config/autostart/burrow.desktop');
    expect(entry).toContain('[Desktop Entry]');
    expect(entry).toContain('Exec=/opt/Burrow/burrow --background');
    item.set(false);
    expect(files.size).toBe(0);
  });

  it('quotes the command as the Desktop Entry spec asks', () => {
    expect(desktopExecArg('/opt/Burrow/burrow')).toBe('/opt/Burrow/burrow');
    expect(desktopExecArg('/home/ann/My Apps/Burrow.AppImage')).toBe('"/home/ann/My Apps/Burrow.AppImage"');
    expect(desktopExecArg('/a/b$c"d`e%f')).toBe('"/a/b\\\\$c\\\\"d\\\\`e%%f"');
    expect(autostartEntry(['/x y/burrow'])).toContain('Exec="/x y/burrow"');
  });

  it('honours XDG_CONFIG_HOME, runs the AppImage itself, and the app folder in development', () => {
    expect(autostartPath({ XDG_CONFIG_HOME: '/cfg' } as NodeJS.ProcessEnv, '/home/ann')).toBe('/cfg/autostart/burrow.desktop');
    expect(autostartPath({} as NodeJS.ProcessEnv, '/home/ann')).toBe('/home/ann/.config/autostart/burrow.desktop');
    expect(autostartPath({ XDG_CONFIG_HOME: 'relative' } as NodeJS.ProcessEnv, '/home/ann')).toBe('/home/ann/.config/autostart/burrow.desktop');
    expect(launchCommand({ execPath: '/tmp/.mount_x/burrow', appImage: '/home/ann/Burrow.AppImage', packaged: true, appPath: '/tmp/.mount_x/resources/app.asar' })).toEqual(['/home/ann/Burrow.AppImage', '--background']);
    expect(launchCommand({ execPath: '/repo/node_modules/electron/dist/electron', packaged: false, appPath: '/repo' })).toEqual(['/repo/node_modules/electron/dist/electron', '/repo', '--background']);
  });
});

describe('web permissions', () => {
  const env = {} as NodeJS.ProcessEnv;
  it('refuses everything but the clipboard, and the clipboard only to our own pages', () => {
    expect(isPermissionAllowed('clipboard-read', 'app://burrow/quick.html', env)).toBe(true);
    expect(isPermissionAllowed('clipboard-sanitized-write', 'app://burrow/index.html', env)).toBe(true);
    expect(isPermissionAllowed('clipboard-read', 'https://example.com/', env)).toBe(false);
    expect(isPermissionAllowed('clipboard-read', undefined, env)).toBe(false);
    for (const permission of ['media', 'geolocation', 'notifications', 'hid', 'usb', 'serial', 'openExternal', 'fullscreen']) {
      expect(isPermissionAllowed(permission, 'app://burrow/index.html', env)).toBe(false);
    }
  });
});
