/**
 * The native application menu as a pure function of the platform, so it is tested without
 * Electron. Commands for the page (New chat, Find, Settings, Keyboard shortcuts) go to it as
 * `ui.command` events; their keys are handled by the page itself (registerAccelerator: false),
 * so that a key never acts twice. Edit entries are roles, so copy and paste work everywhere.
 */
import { separator, type MenuItem } from './menu-item';

export interface AppMenuActions {
  newChat(): void;
  quickPrompt(): void;
  find(): void;
  settings(): void;
  keyboardShortcuts(): void;
}

export interface AppMenuOptions {
  platform: NodeJS.Platform;
  /** Development builds add Reload and the developer tools. */
  isDev: boolean;
  appName: string;
}

const pageKey = (accelerator: string): Pick<MenuItem, 'accelerator' | 'registerAccelerator'> => ({ accelerator, registerAccelerator: false });

export function applicationMenuTemplate(options: AppMenuOptions, actions: AppMenuActions): MenuItem[] {
  const mac = options.platform === 'darwin';
  const settingsItem: MenuItem = { id: 'settings', label: mac ? 'Settings…' : 'Settings', ...pageKey('CommandOrControl+,'), click: actions.settings };

  const appMenu: MenuItem[] = mac
    ? [
        {
          label: options.appName,
          submenu: [
            { role: 'about' },
            separator,
            settingsItem,
            separator,
            { role: 'services' },
            separator,
            { role: 'hide' },
            { role: 'hideOthers' },
            { role: 'unhide' },
            separator,
            { role: 'quit' },
          ],
        },
      ]
    : [];

  const file: MenuItem = {
    label: mac ? 'File' : '&File',
    submenu: [
      { id: 'new-chat', label: 'New chat', ...pageKey('CommandOrControl+N'), click: actions.newChat },
      { id: 'quick-prompt', label: 'Quick prompt', click: actions.quickPrompt },
      separator,
      ...(mac ? [] : [settingsItem, separator]),
      { role: 'close' },
      ...(mac ? [] : [{ role: 'quit', accelerator: 'Ctrl+Q' } satisfies MenuItem]),
    ],
  };

  const edit: MenuItem = {
    label: mac ? 'Edit' : '&Edit',
    submenu: [
      { role: 'undo' },
      { role: 'redo' },
      separator,
      { role: 'cut' },
      { role: 'copy' },
      { role: 'paste' },
      ...(mac ? [{ role: 'pasteAndMatchStyle' } satisfies MenuItem] : []),
      { role: 'delete' },
      { role: 'selectAll' },
      separator,
      { id: 'find', label: 'Find…', ...pageKey('CommandOrControl+K'), click: actions.find },
    ],
  };

  const view: MenuItem = {
    label: mac ? 'View' : '&View',
    submenu: [
      ...(options.isDev ? [{ role: 'reload' } satisfies MenuItem, { role: 'forceReload' } satisfies MenuItem, { role: 'toggleDevTools' } satisfies MenuItem, separator] : []),
      { role: 'resetZoom' },
      { role: 'zoomIn' },
      { role: 'zoomOut' },
      separator,
      { role: 'togglefullscreen' },
    ],
  };

  const windowMenu: MenuItem = mac
    ? { role: 'windowMenu' }
    : { label: '&Window', submenu: [{ role: 'minimize' }, { role: 'close' }] };

  const help: MenuItem = {
    label: mac ? 'Help' : '&Help',
    submenu: [{ id: 'shortcuts', label: 'Keyboard shortcuts', ...pageKey('CommandOrControl+/'), click: actions.keyboardShortcuts }],
  };

  return [...appMenu, file, edit, view, windowMenu, help];
}
