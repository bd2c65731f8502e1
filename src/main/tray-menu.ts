/**
 * The tray (menu bar) icon's menu and image, as pure functions; desktop.ts builds the Electron
 * Tray from them. Where global shortcuts fail (some Wayland sessions), this menu is the way to
 * the quick prompt.
 */
import type { ApiStatus } from '../shared/contract';
import { separator, type MenuItem } from './menu-item';

export interface TrayActions {
  openBurrow(): void;
  quickPrompt(): void;
  newChat(): void;
  unloadModel(): void;
  /** Turns offline mode (not even downloads leave the machine) on or off. */
  toggleOfflineMode(): void;
  /** Opens Settings, where the local API is (its entry shows while the server is on). */
  openApiSettings(): void;
  quit(): void;
}

export interface TrayState {
  /** The loaded model's name; null when none is loaded (Unload is then disabled). */
  modelName: string | null;
  /** The quick-prompt shortcut when it is registered, shown beside its entry. */
  quickShortcut: string | null;
  /** Offline mode is on (shown as a checked entry). */
  offlineMode: boolean;
  /** The local API server's base URL while it is on (core's api.state), else null: no entry. */
  apiUrl: string | null;
}

export function trayMenuTemplate(state: TrayState, actions: TrayActions): MenuItem[] {
  return [
    { id: 'open', label: 'Open Burrow', click: actions.openBurrow },
    {
      id: 'quick',
      label: 'Quick prompt',
      click: actions.quickPrompt,
      // Shown as a reminder only: the global shortcut is registered by ShortcutManager.
      ...(state.quickShortcut !== null ? { accelerator: state.quickShortcut, registerAccelerator: false } : {}),
    },
    { id: 'new-chat', label: 'New chat', click: actions.newChat },
    separator,
    {
      id: 'unload',
      label: state.modelName === null ? 'Unload model' : `Unload model (${state.modelName})`,
      enabled: state.modelName !== null,
      click: actions.unloadModel,
    },
    { id: 'offline', label: 'Offline mode (no downloads)', type: 'checkbox', checked: state.offlineMode, click: actions.toggleOfflineMode },
    ...(state.apiUrl !== null ? [{ id: 'api', label: `Local API on — ${state.apiUrl}`, click: actions.openApiSettings }] : []),
    separator,
    { id: 'quit', label: 'Quit Burrow', click: actions.quit },
  ];
}

/** What the tray shows of the local API (core's api.state): its URL while it is on, else nothing (null). */
export function apiUrlOf(status: Pick<ApiStatus, 'state' | 'url'>): string | null {
  return status.state === 'on' ? status.url : null;
}

/**
 * The tray image's file in resources/tray: a template image on macOS (the system colours it),
 * otherwise a glyph in the colour that reads on the panel (light glyph on dark panels).
 */
export function trayIconFile(platform: NodeJS.Platform, darkPanel: boolean): string {
  if (platform === 'darwin') return 'trayTemplate.png';
  return darkPanel ? 'tray-dark.png' : 'tray-light.png';
}

/** Hover text: says that everything stays on this computer (or that offline mode is on), and what is loaded. */
export function trayTooltip(modelName: string | null, offlineMode = false): string {
  const where = offlineMode ? 'Burrow — offline mode' : 'Burrow — private, on this computer';
  return modelName === null ? where : `${where} · ${modelName}`;
}
