/**
 * Puts `generation.delta` texts back in `seq` order. Transports keep order today, but the
 * contract promises only that seq starts at 0 and has no gaps, so a late delta waits here
 * for the ones before it instead of being appended in the wrong place.
 */
export class DeltaBuffer {
  #text = '';
  #nextSeq = 0;
  #waiting = new Map<number, string>();

  get text(): string {
    return this.#text;
  }

  /**
   * Joins a generation already under way (another window started it): `text` is what its deltas
   * carried before `nextSeq`. Deltas already waiting from there on are kept. Returns true when
   * the visible text changed; a buffer already past `nextSeq` is left as it is.
   */
  catchUp(text: string, nextSeq: number): boolean {
    if (nextSeq <= this.#nextSeq) return false;
    this.#text = text;
    this.#nextSeq = nextSeq;
    for (const seq of [...this.#waiting.keys()]) if (seq < nextSeq) this.#waiting.delete(seq);
    this.#drain();
    return true;
  }

  /** Returns true when the visible text changed. Duplicates and stale deltas are ignored. */
  push(seq: number, text: string): boolean {
    if (seq < this.#nextSeq || this.#waiting.has(seq)) return false;
    this.#waiting.set(seq, text);
    return this.#drain();
  }

  #drain(): boolean {
    let changed = false;
    for (let next = this.#waiting.get(this.#nextSeq); next !== undefined; next = this.#waiting.get(this.#nextSeq)) {
      this.#waiting.delete(this.#nextSeq);
      this.#text += next;
      this.#nextSeq += 1;
      changed = true;
    }
    return changed;
  }
}
