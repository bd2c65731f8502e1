import { createContext } from 'svelte';
import { SettingsState } from './settings.svelte';
import type { Toasts } from './toasts.svelte';

/** Whether the keyboard shortcuts sheet is open. */
export class HelpSheet {
  #open = $state(false);

  get open(): boolean {
    return this.#open;
  }
  show(): void {
    this.#open = true;
  }
  close(): void {
    this.#open = false;
  }
}

export const [useSettings, setSettings] = createContext<SettingsState>();
export const [useHelpSheet, setHelpSheet] = createContext<HelpSheet>();

/** Puts the preferences and the help sheet in context for the main window. Call once, while App initialises. */
export function setUpPreferences({ toasts }: { toasts: Toasts }): { settings: SettingsState; help: HelpSheet } {
  return { settings: setSettings(new SettingsState(toasts)), help: setHelpSheet(new HelpSheet()) };
}
