/**
 * Preferences — settings, the quick window's conversations and the desktop shell's windows —
 * for every face of Burrow (the procedures are in handlers/settings.ts and handlers/chat.ts). What only the desktop app can do (show a
 * window, start at login, a global shortcut) comes through the optional `DesktopHost`; the
 * browser host and the CLI simply have none, and say so in settings.status.
 */
import { z } from 'zod';
import type { AppSettings, DataFolder, SettingsPatch, SettingsStatus, UiCommand } from '../../shared/contract';
import type { EngineSettings } from '../engine/types';
import type { EmitEvent } from '../events/event-hub';
import { StateStore } from '../engine/state-store';
import { modelsDir, stateDir } from '../store/paths';
import type { SettingsStore } from '../store/settings';
import { AppSettingsStore, engineSettingsFor } from './app-settings';
import { folderSize } from './data-folder';
import { QuickMarks } from './quick-marks';

/** What the desktop app's shell does for the core. Absent in the browser host and the CLI. */
export interface DesktopHost {
  /** Shows and focuses the main window (creating it if it was closed), opening this conversation. */
  showMainWindow(conversationId: string | null): void;
  hideQuickWindow(): void;
  /** The host can start Burrow at login. */
  readonly canLaunchAtLogin: boolean;
}

export interface PreferencesOptions {
  store: SettingsStore;
  dataDir: string;
  engine: { updateSettings(patch: EngineSettings): Promise<void> };
  /** The conversations handlers' own delete, so events and clean-up happen exactly as from the UI. */
  deleteConversation: (id: string) => Promise<unknown>;
  conversationIds: () => string[];
  emit: EmitEvent;
  /** What Burrow started with (environment, command line): a preference left to Burrow goes back to these. */
  baseEngineSettings: EngineSettings;
  desktop?: DesktopHost | undefined;
  revealFile?: ((path: string) => Promise<void>) | undefined;
}

/** The main window's place on screen, as it was last left. */
export const SavedWindowBounds = z.strictObject({
  x: z.number().int(),
  y: z.number().int(),
  width: z.number().int().positive(),
  height: z.number().int().positive(),
  maximized: z.boolean(),
});
export type SavedWindowBounds = z.infer<typeof SavedWindowBounds>;

const BOUNDS_KEY = 'window.bounds';
export const OPEN_CONVERSATION_KEY = 'window.openConversation';

export interface Preferences {
  readonly store: SettingsStore;
  readonly dataDir: string;
  /** Which quick-window conversations are kept, and which go once dismissed. */
  readonly marks: QuickMarks;
  readonly desktop: DesktopHost | undefined;
  readonly revealFile: ((path: string) => Promise<void>) | undefined;
  settings(): AppSettings;
  /** Changes some settings, tells every window and applies them to the engine; returns them all. */
  setSettings(patch: SettingsPatch): AppSettings;
  status(): SettingsStatus;
  dataFolder(): Promise<DataFolder>;
  /** The desktop shell reports how registering the quick-prompt shortcut went. */
  setShortcutStatus(status: SettingsStatus['shortcut']): void;
  /** Sends a command to the main window's UI (app menu, tray). */
  command(command: UiCommand): void;
  windowBounds(): SavedWindowBounds | null;
  saveWindowBounds(bounds: SavedWindowBounds): void;
  /** The conversation the main window showed last, if it still exists. */
  openConversation(): string | null;
  /** Deletes quick conversations that were not to be saved and were never dismissed (Burrow stopped first). */
  purgeUnsavedQuickConversations(): Promise<void>;
}

export function createPreferences(options: PreferencesOptions): Preferences {
  const { store, emit, desktop } = options;
  const appSettings = new AppSettingsStore(store);
  const marks = new QuickMarks(store);
  let shortcut: SettingsStatus['shortcut'] = desktop
    ? { state: 'off', accelerator: appSettings.get().shortcut, message: null }
    : {
        state: 'unavailable',
        accelerator: appSettings.get().shortcut,
        message: 'The quick-prompt shortcut works in the Burrow app. This is the browser view, which has no global shortcuts.',
      };

  const status = (): SettingsStatus => ({
    shortcut: { ...shortcut },
    canRevealDataFolder: options.revealFile !== undefined,
    canLaunchAtLogin: desktop?.canLaunchAtLogin ?? false,
  });

  function applyToEngine(settings: AppSettings): void {
    // Reloading a model can take seconds: settings.set answers at once. The next answer is
    // queued behind the reload; a failed reload shows in engine.state.
    options.engine.updateSettings(engineSettingsFor(settings, options.baseEngineSettings)).catch((error: unknown) => {
      console.error('[burrow] could not apply the engine settings:', error);
    });
  }
  applyToEngine(appSettings.get());

  const dataFolder = async (): Promise<DataFolder> => ({
    path: options.dataDir,
    sizeBytes: await folderSize(options.dataDir),
    savedStateBytes: new StateStore(stateDir(options.dataDir)).usage(),
    modelsFolder: modelsDir(options.dataDir),
    canReveal: options.revealFile !== undefined,
  });

  return {
    store,
    dataDir: options.dataDir,
    marks,
    desktop,
    revealFile: options.revealFile,
    settings: () => appSettings.get(),
    setSettings(patch) {
      const settings = appSettings.set(patch);
      emit('settings.changed', settings);
      applyToEngine(settings);
      return settings;
    },
    status,
    dataFolder,
    setShortcutStatus(next) {
      shortcut = { ...next };
      emit('settings.status', status());
    },
    command(command) {
      emit('ui.command', command);
    },
    windowBounds: () => store.get(BOUNDS_KEY, SavedWindowBounds.nullable(), null),
    saveWindowBounds(bounds) {
      store.set(BOUNDS_KEY, SavedWindowBounds.parse(bounds));
    },
    openConversation() {
      const id = store.get(OPEN_CONVERSATION_KEY, z.string().max(64).nullable(), null);
      return id !== null && options.conversationIds().includes(id) ? id : null;
    },
    async purgeUnsavedQuickConversations() {
      const existing = new Set(options.conversationIds());
      for (const id of marks.ephemeral()) {
        if (existing.has(id)) await options.deleteConversation(id).catch(() => undefined);
        marks.forget(id);
      }
    },
  };
}
