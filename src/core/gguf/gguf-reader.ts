/**
 * A forward-only, bounded reader over an open file: it holds one fixed buffer, reads the file
 * in chunks as the parser moves on, and refuses any read or skip that would pass the end of
 * the file or the current limit. Nothing it does allocates from a length found in the file.
 *
 * Reads come in two forms: async ones (`u32()`) that fetch what they need, and sync ones
 * (`u32Now()`) for hot loops, which read only what an earlier `prefetch` buffered. A sync read
 * past the end of the file is a "cut short" rejection; past the prefetched bytes, a bug.
 */
import type { FileHandle } from 'node:fs/promises';

/** A rule the file breaks. validateGguf turns it into a `model_invalid` verdict with this message. */
export class GgufRejection extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GgufRejection';
  }
}

const CHUNK_BYTES = 64 * 1024;

export class BoundedReader {
  readonly #handle: FileHandle;
  readonly size: number;
  readonly #buffer = Buffer.alloc(CHUNK_BYTES);
  /** For hot loops: DataView reads skip the argument checks Buffer's read methods make. */
  readonly #view = new DataView(this.#buffer.buffer, this.#buffer.byteOffset, this.#buffer.byteLength);
  /** File position of #buffer[0], and how many bytes of #buffer are valid. */
  #bufferStart = 0;
  #bufferLength = 0;
  #position = 0;
  #limit: { end: number; message: () => string } | null = null;
  #shrank = false;
  /** Names the part of the file being read, for the "cut short" message. */
  section = 'header';

  constructor(handle: FileHandle, size: number) {
    this.#handle = handle;
    this.size = size;
  }

  get position(): number {
    return this.#position;
  }

  get remaining(): number {
    return this.size - this.#position;
  }

  /** Refuses reads past `end` (a file position) with the given message until cleared with null. */
  setLimit(limit: { end: number; message: () => string } | null): void {
    this.#limit = limit;
  }

  cutShort(): GgufRejection {
    return new GgufRejection(
      `This model file is cut short: it ends after ${this.size} bytes, in the middle of its ${this.section}. ` +
        'The download may have stopped early; download the model again.',
    );
  }

  /** Checks that `count` more bytes (a number or an untrusted bigint) exist and are allowed. */
  #check(count: number | bigint): number {
    const available = this.size - this.#position;
    if (typeof count === 'bigint' ? count > BigInt(available) : count > available) throw this.cutShort();
    const n = Number(count);
    if (this.#limit !== null && this.#position + n > this.#limit.end) throw new GgufRejection(this.#limit.message());
    return n;
  }

  #buffered(count: number): boolean {
    const offset = this.#position - this.#bufferStart;
    return offset >= 0 && offset + count <= this.#bufferLength;
  }

  /** Buffers up to `count` bytes (at most 64 KiB) from the current position; fewer at the end of the file. */
  async prefetch(count: number): Promise<void> {
    if (count > CHUNK_BYTES) throw new RangeError(`BoundedReader buffers at most ${CHUNK_BYTES} bytes`);
    const wanted = Math.min(count, this.size - this.#position);
    if (wanted <= 0 || this.#buffered(wanted)) return;
    const length = Math.min(CHUNK_BYTES, this.size - this.#position);
    let filled = 0;
    while (filled < wanted) {
      const { bytesRead } = await this.#handle.read(this.#buffer, filled, length - filled, this.#position + filled);
      if (bytesRead === 0) {
        this.#shrank = true; // the file shrank while we read it: the next read says "cut short"
        break;
      }
      filled += bytesRead;
    }
    this.#bufferStart = this.#position;
    this.#bufferLength = filled;
  }

  /** Moves past `count` prefetched bytes and returns where they start in the buffer. */
  #take(count: number): number {
    this.#check(count);
    if (!this.#buffered(count)) {
      if (this.#shrank) throw this.cutShort();
      throw new Error(`BoundedReader: ${count} bytes at ${this.#position} were read without a prefetch`);
    }
    const offset = this.#position - this.#bufferStart;
    this.#position += count;
    return offset;
  }

  u32Now(): number {
    return this.#buffer.readUInt32LE(this.#take(4));
  }

  u64Now(): bigint {
    return this.#buffer.readBigUInt64LE(this.#take(8));
  }

  /** The next `count` prefetched bytes without copying; valid until the next prefetch. */
  bytesNow(count: number): Buffer {
    const offset = this.#take(count);
    return this.#buffer.subarray(offset, offset + count);
  }

  async bytes(count: number): Promise<Buffer> {
    if (!this.#buffered(count)) await this.prefetch(count);
    return this.bytesNow(count);
  }

  async u32(): Promise<number> {
    if (!this.#buffered(4)) await this.prefetch(4);
    return this.u32Now();
  }

  async u64(): Promise<bigint> {
    if (!this.#buffered(8)) await this.prefetch(8);
    return this.u64Now();
  }

  /** Moves on by `count` bytes (a number or an untrusted bigint) without reading them. */
  skip(count: number | bigint): void {
    this.#position += this.#check(count);
  }

  /**
   * Reads a prefetched GGUF string (u64 length, then UTF-8 bytes). A length over `maxBytes` is
   * rejected with `tooLong(length)` before anything else; only the first `decodeBytes` (which
   * must have been prefetched) are decoded, the rest is skipped.
   */
  stringNow(maxBytes: number, tooLong: (length: bigint) => string, decodeBytes: number): string {
    const length = this.u64Now();
    if (length > BigInt(maxBytes)) throw new GgufRejection(tooLong(length));
    const n = Number(length);
    this.#check(n);
    const decoded = Math.min(n, decodeBytes);
    const text = decoded > 0 ? this.bytesNow(decoded).toString('utf8') : '';
    this.skip(n - decoded);
    return text;
  }

  async string(maxBytes: number, tooLong: (length: bigint) => string, decodeBytes = maxBytes): Promise<string> {
    const decode = Math.min(decodeBytes, CHUNK_BYTES - 8);
    await this.prefetch(8 + decode);
    return this.stringNow(maxBytes, tooLong, decode);
  }

  /** Skips `count` strings, checking each length, with no await per string while the buffer lasts. */
  async skipStrings(count: number, maxBytes: number, tooLong: (length: bigint) => string): Promise<void> {
    const end = Math.min(this.size, this.#limit?.end ?? Infinity);
    for (let i = 0; i < count; i++) {
      let offset = this.#position - this.#bufferStart;
      if (offset < 0 || offset + 8 > this.#bufferLength) {
        await this.prefetch(8);
        offset = this.#take(8);
      } else {
        if (this.#position + 8 > end) this.#check(8); // throws: cut short, or over the limit
        this.#position += 8;
      }
      // Two 32-bit halves instead of a bigint: this loop runs once per vocabulary entry.
      const low = this.#view.getUint32(offset, true);
      const high = this.#view.getUint32(offset + 4, true);
      if (high !== 0 || low > maxBytes) throw new GgufRejection(tooLong(this.#view.getBigUint64(offset, true)));
      if (this.#position + low > end) this.#check(low); // throws: cut short, or over the limit
      this.#position += low;
    }
  }
}
