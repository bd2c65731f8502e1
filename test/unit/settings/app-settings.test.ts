import { describe, expect, it } from 'vitest';
import { APP_SETTINGS_KEY, AppSettingsStore, engineSettingsFor } from '../../../src/core/settings/app-settings';
import { QuickMarks } from '../../../src/core/settings/quick-marks';
import { closeDatabase } from '../../../src/core/store/database';
import { SettingsStore } from '../../../src/core/store/settings';
import { DEFAULT_APP_SETTINGS } from '../../../src/shared/app-settings';
import { useTempDataDir } from '../store/helpers';

const temp = useTempDataDir();

describe('AppSettingsStore', () => {
  it('a fresh Burrow has the defaults; a change is kept across a restart', () => {
    const db = temp.open();
    const settings = new AppSettingsStore(new SettingsStore(db));
    expect(settings.get()).toEqual(DEFAULT_APP_SETTINGS);
    const changed = settings.set({ theme: 'dark', maxTokens: 5, shortcut: 'ctrl+alt+k' });
    expect(changed).toMatchObject({ theme: 'dark', maxTokens: 5, shortcut: 'Control+Alt+K', launchAtLogin: false });
    closeDatabase(db);
    expect(new AppSettingsStore(new SettingsStore(temp.open())).get()).toEqual(changed);
  });

  it('a damaged or foreign value costs only its own field, never the others or the start', () => {
    const store = new SettingsStore(temp.open());
    store.set(APP_SETTINGS_KEY, { theme: 'purple', maxTokens: 64, temperature: 'hot', shortcut: 'J', unknownFromTheFuture: true });
    expect(new AppSettingsStore(store).get()).toEqual({ ...DEFAULT_APP_SETTINGS, maxTokens: 64 });
    store.set(APP_SETTINGS_KEY, 'not an object');
    expect(new AppSettingsStore(store).get()).toEqual(DEFAULT_APP_SETTINGS);
  });

  it('refuses templates that share an id', () => {
    const settings = new AppSettingsStore(new SettingsStore(temp.open()));
    const template = { id: 'a', name: 'A', prompt: 'Do A' };
    expect(() => settings.set({ promptTemplates: [template, template] })).toThrow(/same id/);
    expect(settings.get().promptTemplates).toEqual([]);
  });

  it('engine settings: a preference left to Burrow falls back to what Burrow started with', () => {
    const base = { maxTokens: 1500, threads: 2, systemPrompt: undefined };
    expect(engineSettingsFor(DEFAULT_APP_SETTINGS, base)).toEqual({
      systemPrompt: undefined,
      temperature: undefined,
      topP: undefined,
      maxTokens: 1500,
      contextSize: undefined,
      gpuLayers: undefined,
      threads: 2,
    });
    expect(engineSettingsFor({ ...DEFAULT_APP_SETTINGS, maxTokens: 5, systemPrompt: 'Be brief.', contextSize: 512 }, base)).toMatchObject({ maxTokens: 5, systemPrompt: 'Be brief.', contextSize: 512 });
  });
});

describe('QuickMarks', () => {
  it('marks quick conversations, keeps the ones continued, forgets deleted ones', () => {
    const marks = new QuickMarks(new SettingsStore(temp.open()));
    marks.mark('a', false);
    marks.mark('b', true);
    expect(marks.isQuick('a')).toBe(true);
    expect(marks.isEphemeral('b')).toBe(true);
    expect(marks.kept()).toEqual(['a']);
    marks.keep('b');
    expect(marks.isEphemeral('b')).toBe(false);
    expect(marks.kept()).toEqual(['a', 'b']);
    marks.prune((id) => id === 'b');
    expect(marks.kept()).toEqual(['b']);
    marks.forget('b');
    expect(marks.isQuick('b')).toBe(false);
  });
});
