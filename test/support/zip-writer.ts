/**
 * A tiny zip writer for tests (stored or deflated entries, optionally lying about sizes, zip64
 * entry counts), so the suite builds its own DOCX and EPUB files and hostile zips. Burrow reads
 * zips with yauzl; writing them is only ever needed here.
 */
import { crc32, createDeflateRaw, deflateRawSync } from 'node:zlib';

export interface ZipEntrySpec {
  name: string;
  data: Buffer | string;
  /** Default 'deflate'. */
  method?: 'store' | 'deflate';
}

/** An entry whose compressed bytes were made elsewhere (a zip bomb streamed through deflate). */
export interface RawZipEntry {
  name: string;
  compressed: Buffer;
  crc: number;
  /** What the entry says it inflates to (a liar says less than it does). */
  declaredSize: number;
}

export function zip(entries: ReadonlyArray<ZipEntrySpec | RawZipEntry>, options: { zip64EntryCount?: boolean } = {}): Buffer {
  const raws: Array<RawZipEntry & { method: number }> = entries.map((entry) => {
    if ('compressed' in entry) return { ...entry, method: 8 };
    const data = typeof entry.data === 'string' ? Buffer.from(entry.data, 'utf8') : entry.data;
    const store = entry.method === 'store';
    return { name: entry.name, compressed: store ? data : deflateRawSync(data), crc: crc32(data), declaredSize: data.length, method: store ? 0 : 8 };
  });
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const entry of raws) {
    const name = Buffer.from(entry.name, 'utf8');
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6);
    local.writeUInt16LE(entry.method, 8);
    local.writeUInt32LE(entry.crc >>> 0, 14);
    local.writeUInt32LE(entry.compressed.length, 18);
    local.writeUInt32LE(entry.declaredSize, 22);
    local.writeUInt16LE(name.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(entry.method, 10);
    central.writeUInt32LE(entry.crc >>> 0, 16);
    central.writeUInt32LE(entry.compressed.length, 20);
    central.writeUInt32LE(entry.declaredSize, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, name, entry.compressed);
    centrals.push(central, name);
    offset += local.length + name.length + entry.compressed.length;
  }
  const directory = Buffer.concat(centrals);
  const tail: Buffer[] = [];
  const zip64 = options.zip64EntryCount === true || raws.length > 0xffff;
  if (zip64) {
    const record = Buffer.alloc(56);
    record.writeUInt32LE(0x06064b50, 0);
    record.writeBigUInt64LE(44n, 4);
    record.writeUInt16LE(45, 12);
    record.writeUInt16LE(45, 14);
    record.writeBigUInt64LE(BigInt(raws.length), 24);
    record.writeBigUInt64LE(BigInt(raws.length), 32);
    record.writeBigUInt64LE(BigInt(directory.length), 40);
    record.writeBigUInt64LE(BigInt(offset), 48);
    const locator = Buffer.alloc(20);
    locator.writeUInt32LE(0x07064b50, 0);
    locator.writeBigUInt64LE(BigInt(offset + directory.length), 8);
    locator.writeUInt32LE(1, 16);
    tail.push(record, locator);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(zip64 ? 0xffff : raws.length, 8);
  end.writeUInt16LE(zip64 ? 0xffff : raws.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, ...tail, end]);
}

/** `totalBytes` of one repeated byte, deflated as a stream (never held inflated in memory). */
export async function deflatedRepeat(name: string, totalBytes: number, options: { declaredSize?: number } = {}): Promise<RawZipEntry> {
  const block = Buffer.alloc(1024 * 1024, 0x61);
  const deflate = createDeflateRaw({ level: 9 });
  const out: Buffer[] = [];
  deflate.on('data', (chunk: Buffer) => out.push(chunk));
  const finished = new Promise<void>((resolve, reject) => {
    deflate.once('end', resolve);
    deflate.once('error', reject);
  });
  let crc = 0;
  for (let written = 0; written < totalBytes; written += block.length) {
    const piece = block.subarray(0, Math.min(block.length, totalBytes - written));
    crc = crc32(piece, crc);
    if (!deflate.write(piece)) await new Promise((resolve) => deflate.once('drain', resolve));
  }
  deflate.end();
  await finished;
  return { name, compressed: Buffer.concat(out), crc, declaredSize: options.declaredSize ?? totalBytes };
}
