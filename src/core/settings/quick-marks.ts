/**
 * Which conversations were started from the quick window, kept in the settings table rather
 * than as a column: conversations belong to the history store, and a mark is all the quick
 * window needs. `ephemeral` ones were started with "Don't save quick prompts" and are deleted
 * when dismissed — or at the next start, if Burrow stopped first.
 */
import { z } from 'zod';
import type { SettingsStore } from '../store/settings';

export const QUICK_MARKS_KEY = 'quick.conversations';
/** The newest marks kept; older quick conversations simply lose their mark. */
const MAX_MARKS = 2000;

const Marks = z.array(z.strictObject({ id: z.string().min(1).max(64), ephemeral: z.boolean() }));
type Marks = z.infer<typeof Marks>;

export class QuickMarks {
  readonly #store: SettingsStore;

  constructor(store: SettingsStore) {
    this.#store = store;
  }

  mark(id: string, ephemeral: boolean): void {
    const marks = this.#read().filter((entry) => entry.id !== id);
    marks.push({ id, ephemeral });
    this.#write(marks.slice(-MAX_MARKS));
  }

  isQuick(id: string): boolean {
    return this.#read().some((entry) => entry.id === id);
  }

  isEphemeral(id: string): boolean {
    return this.#read().some((entry) => entry.id === id && entry.ephemeral);
  }

  /** The user chose to keep it ("Continue in Burrow"): no longer deleted when dismissed. */
  keep(id: string): void {
    const marks = this.#read();
    if (!marks.some((entry) => entry.id === id && entry.ephemeral)) return;
    this.#write(marks.map((entry) => (entry.id === id ? { id, ephemeral: false } : entry)));
  }

  forget(id: string): void {
    const marks = this.#read();
    if (marks.some((entry) => entry.id === id)) this.#write(marks.filter((entry) => entry.id !== id));
  }

  /** Kept quick conversations, oldest first. */
  kept(): string[] {
    return this.#read()
      .filter((entry) => !entry.ephemeral)
      .map((entry) => entry.id);
  }

  ephemeral(): string[] {
    return this.#read()
      .filter((entry) => entry.ephemeral)
      .map((entry) => entry.id);
  }

  /** Drops the marks of conversations that no longer exist. */
  prune(exists: (id: string) => boolean): void {
    const marks = this.#read();
    const left = marks.filter((entry) => exists(entry.id));
    if (left.length !== marks.length) this.#write(left);
  }

  #read(): Marks {
    return this.#store.get(QUICK_MARKS_KEY, Marks, []);
  }

  #write(marks: Marks): void {
    this.#store.set(QUICK_MARKS_KEY, marks);
  }
}
