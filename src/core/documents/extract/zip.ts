/**
 * Reading DOCX and EPUB files, which are zips, without letting a zip bomb inflate: a pre-flight
 * over the central directory (entry count, declared sizes, compression ratios) before a single
 * byte is inflated, then a byte cap while inflating (yauzl also refuses an entry whose real size
 * differs from the one it declared).
 */
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import type { ExtractionCaps } from '../types';
import { ExtractionError } from './errors';

export interface ZipArchive {
  /** Entries by name, in central-directory order. */
  readonly entries: ReadonlyMap<string, Entry>;
  /** Inflates one entry, counting its bytes against the archive's cap. */
  read(name: string): Promise<Buffer>;
  /** Forgets the archive; the descriptor stays open (its owner closes it). */
  close(): void;
}

export const ZIP_BOMB =
  'This file looks like a zip bomb: it would unpack to far more data than it holds, so Burrow did not open it.';

type ZipCaps = Pick<ExtractionCaps, 'maxZipEntries' | 'maxZipTotalBytes' | 'maxZipRatio' | 'ratioCheckAboveBytes'>;

/**
 * Opens the zip in `fd` (left open: the caller owns it) and runs the pre-flight. `notZip` is
 * the message for a file that is not a zip at all.
 */
export async function openZip(fd: number, caps: ZipCaps, notZip: string): Promise<ZipArchive> {
  let zip: ZipFile;
  try {
    zip = await yauzl.fromFdPromise(fd, { autoClose: false, lazyEntries: true, validateEntrySizes: true, strictFileNames: false });
  } catch {
    throw new ExtractionError(notZip);
  }
  try {
    if (zip.entryCount > caps.maxZipEntries) {
      throw new ExtractionError(`${ZIP_BOMB} (It has ${zip.entryCount} entries; Burrow reads at most ${caps.maxZipEntries}.)`);
    }
    const entries = await readDirectory(zip, caps);
    return archive(zip, entries, caps.maxZipTotalBytes);
  } catch (error) {
    zip.removeAllListeners();
    throw error;
  }
}

function readDirectory(zip: ZipFile, caps: ZipCaps): Promise<Map<string, Entry>> {
  return new Promise((resolve, reject) => {
    const entries = new Map<string, Entry>();
    let declared = 0;
    zip.on('entry', (entry: Entry) => {
      declared += entry.uncompressedSize;
      if (declared > caps.maxZipTotalBytes) {
        return reject(new ExtractionError(`${ZIP_BOMB} (Its contents add up to more than ${Math.round(caps.maxZipTotalBytes / 1024 / 1024)} MB.)`));
      }
      const ratio = entry.uncompressedSize / Math.max(1, entry.compressedSize);
      if (entry.uncompressedSize > caps.ratioCheckAboveBytes && ratio > caps.maxZipRatio) {
        return reject(new ExtractionError(`${ZIP_BOMB} (One part is compressed ${Math.round(ratio)} to 1.)`));
      }
      if (!entry.fileName.endsWith('/')) entries.set(entry.fileName, entry);
      zip.readEntry();
    });
    zip.once('end', () => resolve(entries));
    zip.once('error', (error: Error) => reject(new ExtractionError(`This file could not be read: its zip structure is damaged (${error.message}).`)));
    zip.readEntry();
  });
}

function archive(zip: ZipFile, entries: Map<string, Entry>, maxBytes: number): ZipArchive {
  let inflated = 0;
  return {
    entries,
    async read(name) {
      const entry = entries.get(name);
      if (entry === undefined) throw new ExtractionError(`This file could not be read: it has no ${name}.`);
      if (entry.isEncrypted()) throw new ExtractionError('This file could not be read: it is encrypted.');
      const stream = await new Promise<NodeJS.ReadableStream>((resolve, reject) => {
        zip.openReadStream(entry, (error, readable) => (error ? reject(new ExtractionError(`This file could not be read: ${error.message}`)) : resolve(readable)));
      });
      const parts: Buffer[] = [];
      try {
        for await (const part of stream) {
          const buffer = part as Buffer;
          inflated += buffer.length;
          if (inflated > maxBytes) {
            (stream as NodeJS.ReadableStream & { destroy(): void }).destroy();
            throw new ExtractionError(ZIP_BOMB);
          }
          parts.push(buffer);
        }
      } catch (error) {
        if (error instanceof ExtractionError) throw error;
        const message = error instanceof Error ? error.message : String(error);
        // yauzl: "too many bytes in the stream" — an entry that inflates past its declared size.
        if (/too many bytes|too few bytes/i.test(message)) throw new ExtractionError(ZIP_BOMB);
        throw new ExtractionError(`This file could not be read: ${message}`);
      }
      return Buffer.concat(parts);
    },
    // Not zip.close(): that closes the descriptor, which belongs to the caller (and closing a
    // number the caller closes again could close some other file that reused it).
    close: () => zip.removeAllListeners(),
  };
}
