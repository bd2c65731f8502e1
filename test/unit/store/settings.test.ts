import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { closeDatabase } from '../../../src/core/store/database';
import { SettingsStore } from '../../../src/core/store/settings';
import { BurrowError } from '../../../src/shared/errors';
import { useTempDataDir } from './helpers';

const temp = useTempDataDir();

const Appearance = z.strictObject({ theme: z.enum(['light', 'dark', 'system']), fontSize: z.number().int().min(10).max(32) });
const DEFAULT_APPEARANCE = { theme: 'system', fontSize: 14 } as const;

describe('SettingsStore', () => {
  it('gives the fallback for a setting never saved', () => {
    const settings = new SettingsStore(temp.open());
    expect(settings.get('appearance', Appearance, DEFAULT_APPEARANCE)).toEqual(DEFAULT_APPEARANCE);
  });

  it('keeps a saved setting across a restart, and the latest save wins', () => {
    const db = temp.open();
    const settings = new SettingsStore(db);
    settings.set('appearance', { theme: 'light', fontSize: 12 });
    settings.set('appearance', { theme: 'dark', fontSize: 18 });
    settings.set('lastModel', '/models/tiny.gguf');
    closeDatabase(db);

    const reopened = new SettingsStore(temp.open());
    expect(reopened.get('appearance', Appearance, DEFAULT_APPEARANCE)).toEqual({ theme: 'dark', fontSize: 18 });
    expect(reopened.get('lastModel', z.string(), '')).toBe('/models/tiny.gguf');
  });

  it('falls back when the stored text is not JSON', () => {
    const db = temp.open();
    db.prepare('INSERT INTO settings (key, value) VALUES (?, ?)').run('appearance', '{"theme": "dark", fontSi');
    expect(new SettingsStore(db).get('appearance', Appearance, DEFAULT_APPEARANCE)).toEqual(DEFAULT_APPEARANCE);
  });

  it('falls back when the stored value does not fit the schema (e.g. written by another version)', () => {
    const db = temp.open();
    const settings = new SettingsStore(db);
    settings.set('appearance', { theme: 'sepia', fontSize: 14 });
    expect(settings.get('appearance', Appearance, DEFAULT_APPEARANCE)).toEqual(DEFAULT_APPEARANCE);
  });

  it('refuses a value that cannot be saved as JSON', () => {
    const settings = new SettingsStore(temp.open());
    expect(() => settings.set('appearance', undefined)).toThrow(BurrowError);
    const circular: Record<string, unknown> = {};
    circular.self = circular;
    expect(() => settings.set('appearance', circular)).toThrow(/not JSON/);
  });
});
