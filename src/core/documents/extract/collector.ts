import type { ExtractedUnit } from '../types';
import { sentenceBreaks, tidyText } from './sentences';

/**
 * Gathers a document's units under the character cap: text past it is dropped (and `capped`
 * says so), never silently — the caller turns it into a notice.
 */
export class UnitCollector {
  readonly units: ExtractedUnit[] = [];
  #chars = 0;
  #capped = false;
  readonly #maxChars: number;

  constructor(maxChars: number) {
    this.#maxChars = maxChars;
  }

  get chars(): number {
    return this.#chars;
  }

  /** True once text had to be left out. */
  get capped(): boolean {
    return this.#capped;
  }

  get full(): boolean {
    return this.#chars >= this.#maxChars;
  }

  /** Adds tidied text at a location; merges into the previous unit when the location is the same. */
  add(page: number | null, section: string | null, raw: string): void {
    let text = tidyText(raw);
    if (text.length === 0) return;
    const room = this.#maxChars - this.#chars;
    if (room <= 0) {
      this.#capped = true;
      return;
    }
    if (text.length > room) {
      text = text.slice(0, room);
      this.#capped = true;
    }
    const last = this.units.at(-1);
    if (last !== undefined && last.page === page && last.section === section) {
      last.text = `${last.text}\n\n${text}`;
      this.#chars += text.length + 2;
    } else {
      this.units.push({ page, section, text, breaks: [] });
      this.#chars += text.length;
    }
  }

  /** The units with their sentence breaks. */
  finish(): ExtractedUnit[] {
    for (const unit of this.units) unit.breaks = sentenceBreaks(unit.text);
    return this.units;
  }
}

/** "5 000 000" — thin grouping a user reads at a glance, the same in every locale. */
export function grouped(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
}
