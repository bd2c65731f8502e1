import type { Database } from 'better-sqlite3';
import type { ZodType } from 'zod';
import { BurrowError } from '../../shared/errors';
import { SqlStore, type DatabaseHandle } from './handle';

function prepare(db: Database) {
  return {
    get: db.prepare<[string], string>('SELECT value FROM settings WHERE key = ?').pluck(),
    set: db.prepare<[string, string]>('INSERT INTO settings (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value'),
  };
}

/** Small preferences stored as JSON, one row per key. */
export class SettingsStore extends SqlStore<ReturnType<typeof prepare>> {
  constructor(db: Database | DatabaseHandle) {
    super(db, prepare);
  }

  /**
   * The stored value if it is present and `schema` accepts it, otherwise `fallback`. A value
   * written by another version, or damaged, must never stop Burrow from starting.
   */
  get<T>(key: string, schema: ZodType<T>, fallback: T): T {
    const raw = this.sql.get.get(key);
    if (raw === undefined) return fallback;
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch {
      return fallback;
    }
    const result = schema.safeParse(parsed);
    return result.success ? result.data : fallback;
  }

  set(key: string, value: unknown): void {
    let json: unknown;
    try {
      json = JSON.stringify(value);
    } catch {
      json = undefined; // circular or BigInt
    }
    // JSON.stringify returns undefined for undefined, functions and symbols: nothing to store.
    if (typeof json !== 'string') {
      throw new BurrowError('invalid_input', `The setting "${key}" cannot be saved: its value is not JSON.`);
    }
    this.sql.set.run(key, json);
  }
}
