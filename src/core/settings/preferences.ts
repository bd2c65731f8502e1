/**
 * The preferences domain of the contract — settings, the quick window's conversations and the
 * desktop shell's windows — for every face of Burrow. What only the desktop app can do (show a
 * window, start at login, a global shortcut) comes through the optional `DesktopHost`; the
 * browser host and the CLI simply have none, and say so in settings.status.
 */
import { z } from 'zod';
import type { AppSettings, ChatStarted, Conversation, DataFolder, SettingsStatus, UiCommand } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import type { Handlers } from '../../shared/router';
import type { ChatService } from '../chat/chat-service';
import type { EngineSettings } from '../engine/types';
import type { EmitEvent } from '../events/event-hub';
import { StateStore } from '../engine/state-store';
import { modelsDir, stateDir } from '../store/paths';
import { databasePath } from '../store/database';
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

export type PreferencesHandlerName =
  | 'settings.get'
  | 'settings.set'
  | 'settings.status'
  | 'settings.dataFolder'
  | 'settings.revealDataFolder'
  | 'settings.clearSavedState'
  | 'quick.ask'
  | 'quick.dismiss'
  | 'quick.conversations'
  | 'window.show'
  | 'window.setOpenConversation';

export interface PreferencesOptions {
  store: SettingsStore;
  dataDir: string;
  engine: { updateSettings(patch: EngineSettings): Promise<void> };
  chat: Pick<ChatService, 'send' | 'cancel' | 'runningFor' | 'assertCapacity'>;
  /** The history's own handlers, so events and clean-up happen exactly as from the UI. */
  createConversation: () => Conversation | Promise<Conversation>;
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
const OPEN_CONVERSATION_KEY = 'window.openConversation';

export interface Preferences {
  readonly handlers: Pick<Handlers, PreferencesHandlerName>;
  settings(): AppSettings;
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
  const { store, emit, chat, desktop } = options;
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

  async function stopAnswers(conversationId: string): Promise<boolean> {
    let cancelled = false;
    for (const [generationId, saved] of chat.runningFor(conversationId)) {
      cancelled = chat.cancel(generationId) || cancelled;
      await saved;
    }
    return cancelled;
  }

  async function ask(conversationId: string | null, text: string): Promise<ChatStarted> {
    if (conversationId !== null) return chat.send(conversationId, text);
    // Before a conversation is made for it: a refused question leaves nothing behind.
    chat.assertCapacity();
    const conversation = await options.createConversation();
    marks.mark(conversation.id, !appSettings.get().saveQuickPrompts);
    try {
      return chat.send(conversation.id, text);
    } catch (error) {
      // Nothing was asked (no model, say): leave no empty conversation behind.
      marks.forget(conversation.id);
      await options.deleteConversation(conversation.id).catch(() => undefined);
      throw error;
    }
  }

  const dataFolder = async (): Promise<DataFolder> => ({
    path: options.dataDir,
    sizeBytes: await folderSize(options.dataDir),
    savedStateBytes: new StateStore(stateDir(options.dataDir)).usage(),
    modelsFolder: modelsDir(options.dataDir),
    canReveal: options.revealFile !== undefined,
  });

  const handlers: Pick<Handlers, PreferencesHandlerName> = {
    'settings.get': () => appSettings.get(),
    'settings.set': ({ patch }) => {
      const settings = appSettings.set(patch);
      emit('settings.changed', settings);
      applyToEngine(settings);
      return settings;
    },
    'settings.status': () => status(),
    'settings.dataFolder': () => dataFolder(),
    'settings.clearSavedState': async () => {
      new StateStore(stateDir(options.dataDir)).clear();
      return dataFolder();
    },
    'settings.revealDataFolder': async () => {
      if (options.revealFile === undefined) {
        throw new BurrowError('refused', `This window cannot open your file manager. Burrow's data folder is ${options.dataDir}.`);
      }
      // Revealing a file inside opens the folder itself (revealing the folder would open its parent).
      await options.revealFile(databasePath(options.dataDir));
      return { path: options.dataDir };
    },
    'quick.ask': ({ conversationId, text }) => ask(conversationId, text),
    'quick.dismiss': async ({ conversationId }) => {
      let cancelled = false;
      let deleted = false;
      if (conversationId !== null) {
        const unsaved = marks.isEphemeral(conversationId);
        if (unsaved || appSettings.get().escCancelsQuickAnswer) cancelled = await stopAnswers(conversationId);
        if (unsaved) {
          if (options.conversationIds().includes(conversationId)) {
            await options.deleteConversation(conversationId);
            deleted = true;
          }
          marks.forget(conversationId);
        }
      }
      desktop?.hideQuickWindow();
      return { hidden: desktop !== undefined, cancelled, deleted };
    },
    'quick.conversations': () => {
      const existing = new Set(options.conversationIds());
      marks.prune((id) => existing.has(id));
      return marks.kept();
    },
    'window.show': ({ conversationId }) => {
      if (conversationId !== null) {
        if (!options.conversationIds().includes(conversationId)) throw new BurrowError('not_found', 'This conversation no longer exists.');
        // Continued in the main window: the user keeps it, whatever "Don't save quick prompts" says.
        marks.keep(conversationId);
        store.set(OPEN_CONVERSATION_KEY, conversationId);
      }
      desktop?.showMainWindow(conversationId);
      if (conversationId !== null) emit('ui.command', { command: 'open-conversation', conversationId });
      return { shown: desktop !== undefined };
    },
    'window.setOpenConversation': ({ conversationId }) => {
      store.set(OPEN_CONVERSATION_KEY, conversationId);
      return { conversationId };
    },
  };

  return {
    handlers,
    settings: () => appSettings.get(),
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
