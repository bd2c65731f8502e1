/**
 * The quick-prompt shortcut, registered with the system through a `GlobalShortcuts` interface
 * (Electron's globalShortcut in the app, a fake in tests). It follows the settings: registered,
 * moved to a new key, turned off; a key another app holds is reported (settings.status) with
 * the next step, never thrown. Released on quit.
 */
import { acceleratorLabel, checkAccelerator } from '../shared/accelerator';
import type { SettingsStatus } from '../shared/contract';

export interface GlobalShortcuts {
  /** false when the system refuses (another app holds the key). May throw for a key it cannot parse. */
  register(accelerator: string, callback: () => void): boolean;
  unregister(accelerator: string): void;
}

export type ShortcutStatus = SettingsStatus['shortcut'];

export interface ShortcutManagerOptions {
  shortcuts: GlobalShortcuts;
  onPress: () => void;
  onStatus: (status: ShortcutStatus) => void;
  isMac: boolean;
  /** What else opens the quick window here (the tray, `burrow --quick`), for the conflict message. */
  fallbackHint?: string;
}

export class ShortcutManager {
  readonly #options: ShortcutManagerOptions;
  /** The accelerator we hold now, if any. */
  #registered: string | null = null;
  #status: ShortcutStatus = { state: 'off', accelerator: '', message: null };
  #disposed = false;

  constructor(options: ShortcutManagerOptions) {
    this.#options = options;
  }

  get status(): ShortcutStatus {
    return { ...this.#status };
  }

  /** Makes the registration match the settings. Idempotent: the same settings change nothing. */
  apply(settings: { shortcut: string; shortcutEnabled: boolean }): ShortcutStatus {
    if (this.#disposed) return this.status;
    const checked = checkAccelerator(settings.shortcut);
    const wanted = settings.shortcutEnabled && checked.ok ? checked.accelerator : null;
    if (wanted !== null && wanted === this.#registered) return this.status;
    this.#release();
    if (!settings.shortcutEnabled) return this.#report({ state: 'off', accelerator: settings.shortcut, message: null });
    if (!checked.ok) return this.#report({ state: 'conflict', accelerator: settings.shortcut, message: `${checked.message} Choose another shortcut.` });

    const label = acceleratorLabel(checked.accelerator, this.#options.isMac);
    let registered: boolean;
    try {
      registered = this.#options.shortcuts.register(checked.accelerator, this.#options.onPress);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      return this.#report({ state: 'unavailable', accelerator: checked.accelerator, message: `The system would not set up ${label} (${reason}). ${this.#hint()}` });
    }
    if (!registered) {
      return this.#report({
        state: 'conflict',
        accelerator: checked.accelerator,
        message: `Another app is already using ${label}. Choose another shortcut. ${this.#hint()}`,
      });
    }
    this.#registered = checked.accelerator;
    return this.#report({ state: 'registered', accelerator: checked.accelerator, message: null });
  }

  /** Quitting: the key goes back to the system. */
  dispose(): void {
    this.#release();
    this.#disposed = true;
  }

  #hint(): string {
    return this.#options.fallbackHint ?? 'Until then, open the quick prompt from the tray menu.';
  }

  #release(): void {
    if (this.#registered === null) return;
    this.#options.shortcuts.unregister(this.#registered);
    this.#registered = null;
  }

  #report(status: ShortcutStatus): ShortcutStatus {
    const changed = status.state !== this.#status.state || status.accelerator !== this.#status.accelerator || status.message !== this.#status.message;
    this.#status = status;
    if (changed) this.#options.onStatus({ ...status });
    return { ...status };
  }
}
