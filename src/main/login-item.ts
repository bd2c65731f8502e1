/**
 * "Launch at login". macOS and Windows: Electron's login items. Linux: an XDG autostart entry
 * (~/.config/autostart/burrow.desktop), which every freedesktop session honours; Electron's
 * setLoginItemSettings does nothing there. The entry's text is built by a pure function; file
 * access comes in through a small interface so both are tested without touching the home folder.
 */
import { join } from 'node:path';

export interface LoginItem {
  readonly supported: boolean;
  set(openAtLogin: boolean): void;
}

/** Started at login: into the tray, without a window. */
export const BACKGROUND_ARG = '--background';

/**
 * Quotes an argument for a desktop entry's Exec key (freedesktop Desktop Entry spec): inside
 * double quotes `"`, `` ` ``, `$` and `\` take a backslash, `%` is doubled; then the key file's
 * own string escaping doubles every backslash again.
 */
export function desktopExecArg(arg: string): string {
  if (/^[A-Za-z0-9_./:@+=,-]+$/.test(arg)) return arg;
  const quoted = `"${arg.replace(/[\\"`$]/g, (char) => `\\${char}`).replaceAll('%', '%%')}"`;
  return quoted.replaceAll('\\', '\\\\');
}

export function autostartEntry(command: readonly string[]): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Burrow',
    'Comment=Private, offline AI assistant',
    `Exec=${command.map(desktopExecArg).join(' ')}`,
    'Icon=burrow',
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

export interface AutostartFiles {
  write(path: string, text: string): void;
  remove(path: string): void;
}

export function autostartPath(env: NodeJS.ProcessEnv, home: string): string {
  const configHome = env.XDG_CONFIG_HOME && env.XDG_CONFIG_HOME.startsWith('/') ? env.XDG_CONFIG_HOME : join(home, '.config');
  return join(configHome, 'autostart', 'burrow.desktop');
}

/** Linux: writes or removes the autostart entry that runs `command`. */
export function xdgLoginItem(path: string, command: readonly string[], files: AutostartFiles): LoginItem {
  return {
    supported: true,
    set(openAtLogin) {
      if (openAtLogin) files.write(path, autostartEntry(command));
      else files.remove(path);
    },
  };
}

/**
 * The command that starts this Burrow: the AppImage itself when running from one (its
 * executable lives in a temporary mount), the app folder too in development.
 */
export function launchCommand(options: { execPath: string; appImage?: string | undefined; packaged: boolean; appPath: string }): string[] {
  const program = options.appImage ?? options.execPath;
  return options.packaged ? [program, BACKGROUND_ARG] : [program, options.appPath, BACKGROUND_ARG];
}
