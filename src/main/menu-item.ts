/**
 * A menu entry as plain data: the subset of Electron's MenuItemConstructorOptions Burrow uses,
 * so menu templates are built by pure functions and tested without Electron.
 */
export type MenuRole =
  | 'about'
  | 'services'
  | 'hide'
  | 'hideOthers'
  | 'unhide'
  | 'quit'
  | 'close'
  | 'minimize'
  | 'zoom'
  | 'front'
  | 'undo'
  | 'redo'
  | 'cut'
  | 'copy'
  | 'paste'
  | 'pasteAndMatchStyle'
  | 'delete'
  | 'selectAll'
  | 'reload'
  | 'forceReload'
  | 'toggleDevTools'
  | 'resetZoom'
  | 'zoomIn'
  | 'zoomOut'
  | 'togglefullscreen'
  | 'windowMenu';

export interface MenuItem {
  id?: string;
  label?: string;
  role?: MenuRole;
  type?: 'normal' | 'separator' | 'submenu' | 'checkbox';
  /** For checkbox items. */
  checked?: boolean;
  accelerator?: string;
  /**
   * false: the accelerator is shown but the page handles the key itself (so it is not done twice,
   * and the quick window keeps its own keys). Honoured on Windows and Linux; on macOS the page
   * sees the key first and its preventDefault keeps the menu from acting.
   */
  registerAccelerator?: boolean;
  enabled?: boolean;
  click?: () => void;
  submenu?: MenuItem[];
}

export const separator: MenuItem = Object.freeze({ type: 'separator' });
