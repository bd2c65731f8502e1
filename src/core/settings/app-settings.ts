/**
 * Burrow's preferences in the SQLite settings table (one JSON row), read field by field: a
 * value another version wrote, or a damaged one, falls back to its default without costing
 * the others, and never stops Burrow from starting.
 */
import { z } from 'zod';
import { checkAccelerator } from '../../shared/accelerator';
import { DEFAULT_APP_SETTINGS } from '../../shared/app-settings';
import { AppSettings, type SettingsPatch } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import { formatZodError } from '../../shared/router';
import type { EngineSettings } from '../engine/types';
import type { SettingsStore } from '../store/settings';

export const APP_SETTINGS_KEY = 'app.settings';

const StoredObject = z.record(z.string(), z.unknown());

export class AppSettingsStore {
  readonly #store: SettingsStore;

  constructor(store: SettingsStore) {
    this.#store = store;
  }

  get(): AppSettings {
    const stored = this.#store.get(APP_SETTINGS_KEY, StoredObject, {});
    const settings: Record<string, unknown> = structuredClone(DEFAULT_APP_SETTINGS);
    for (const [key, schema] of Object.entries(AppSettings.shape)) {
      if (!Object.hasOwn(stored, key)) continue;
      const parsed = (schema as z.ZodType).safeParse(stored[key]);
      if (parsed.success) settings[key] = parsed.data;
    }
    return settings as AppSettings;
  }

  /** Applies a patch (already checked by the contract) and returns the full settings. */
  set(patch: SettingsPatch): AppSettings {
    const next: AppSettings = { ...this.get(), ...definedOnly(patch) };
    if (patch.shortcut !== undefined) {
      const checked = checkAccelerator(patch.shortcut);
      if (checked.ok) next.shortcut = checked.accelerator;
    }
    const ids = next.promptTemplates.map((template) => template.id);
    if (new Set(ids).size !== ids.length) throw new BurrowError('invalid_input', 'Two prompt templates have the same id.');
    const parsed = AppSettings.safeParse(next);
    if (!parsed.success) throw new BurrowError('invalid_input', `These settings cannot be saved: ${formatZodError(parsed.error)}`);
    this.#store.set(APP_SETTINGS_KEY, parsed.data);
    return parsed.data;
  }
}

function definedOnly(patch: SettingsPatch): Partial<AppSettings> {
  return Object.fromEntries(Object.entries(patch).filter(([, value]) => value !== undefined)) as Partial<AppSettings>;
}

/**
 * The engine settings the preferences ask for. A preference left to Burrow (null, or an empty
 * system prompt) is given as `undefined`: EngineHost.updateSettings then goes back to what
 * Burrow started with (the environment, the command line).
 */
export function engineSettingsFor(settings: AppSettings, base: EngineSettings): EngineSettings {
  return {
    systemPrompt: settings.systemPrompt.trim() === '' ? base.systemPrompt : settings.systemPrompt,
    temperature: settings.temperature ?? base.temperature,
    topP: settings.topP ?? base.topP,
    maxTokens: settings.maxTokens ?? base.maxTokens,
    contextSize: settings.contextSize ?? base.contextSize,
    gpuLayers: settings.gpuLayers ?? base.gpuLayers,
    threads: settings.threads ?? base.threads,
    stateBudgetBytes: settings.savedStateBudgetMB === null ? base.stateBudgetBytes : settings.savedStateBudgetMB * 1024 * 1024,
  };
}
