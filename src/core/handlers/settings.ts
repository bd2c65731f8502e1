/** The settings and window procedures: preferences, the data folder, and the desktop shell's main window. */
import type { ProcedureName } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import type { Handlers } from '../../shared/router';
import { StateStore } from '../engine/state-store';
import { OPEN_CONVERSATION_KEY, type Preferences } from '../settings/preferences';
import { databasePath } from '../store/database';
import { stateDir } from '../store/paths';

export type SettingsProcedure = Extract<ProcedureName, `settings.${string}` | `window.${string}`>;

export interface SettingsOptions {
  preferences: Preferences;
  conversationIds: () => string[];
  emit: (name: 'ui.command', payload: { command: 'open-conversation'; conversationId: string }) => void;
}

export function settingsHandlers({ preferences, conversationIds, emit }: SettingsOptions): Pick<Handlers, SettingsProcedure> {
  const { store, dataDir, desktop } = preferences;
  return {
    'settings.get': () => preferences.settings(),
    'settings.set': ({ patch }) => preferences.setSettings(patch),
    'settings.status': () => preferences.status(),
    'settings.dataFolder': () => preferences.dataFolder(),
    'settings.clearSavedState': async () => {
      new StateStore(stateDir(dataDir)).clear();
      return preferences.dataFolder();
    },
    'settings.revealDataFolder': async () => {
      if (preferences.revealFile === undefined) {
        throw new BurrowError('refused', `This window cannot open your file manager. Burrow's data folder is ${dataDir}.`);
      }
      // Revealing a file inside opens the folder itself (revealing the folder would open its parent).
      await preferences.revealFile(databasePath(dataDir));
      return { path: dataDir };
    },
    'window.show': ({ conversationId }) => {
      if (conversationId !== null) {
        if (!conversationIds().includes(conversationId)) throw new BurrowError('not_found', 'This conversation no longer exists.');
        // Continued in the main window: the user keeps it, whatever "Don't save quick prompts" says.
        preferences.marks.keep(conversationId);
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
}
