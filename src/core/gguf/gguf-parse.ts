/**
 * Parses and checks a GGUF header (metadata and tensor list) through a BoundedReader. Every
 * count and length from the file is checked against a cap and against the bytes left in the
 * file before it is used; values are skipped, not kept, except the few the facts need.
 */
import {
  DEFAULT_ALIGNMENT,
  FIXED_VALUE_SIZE,
  GGML_TYPES,
  GGUF_MAGIC,
  GgufValueType,
  INT64_MAX,
  MAX_TENSOR_DIMENSIONS,
  SUPPORTED_VERSIONS,
  type GgufLimits,
} from './gguf-format';
import { GgufRejection, type BoundedReader } from './gguf-reader';

/** Metadata values the facts use: integers (or, with `list`, the largest of a short integer list) or text. */
export type KeptValue = { type: number; value: number | bigint | string; list?: true };

export interface ParsedGguf {
  version: number;
  /** Only the kept keys (see keepsValue). */
  metadata: Map<string, KeptValue>;
  /** Lengths of arrays under tokenizer.ggml.* (the vocabulary size is the token list's length). */
  arrayLengths: Map<string, number>;
  tensorCount: number;
  parameterCount: bigint;
  /** Elements per ggml type id, to name the quantisation when general.file_type is missing. */
  elementsByType: Map<number, bigint>;
  alignment: number;
  dataOffset: number;
  /** Tensor names in file order, and their dimensions (ggml order, at most 4 each). */
  tensors: TensorShapes;
}

/**
 * Every tensor's name and dimensions, kept flat (4 numbers per tensor) so the 65 536-tensor cap
 * costs a few MB. Dimensions above 2^53 lose precision, which no real tensor has.
 */
export interface TensorShapes {
  names: readonly string[];
  /** 4 slots per tensor; unused slots are 0. */
  dims: Float64Array;
  dimensionCounts: Uint8Array;
}

/** The dimensions of tensor `index`, in ggml order (ne[0] first). */
export function tensorDims(shapes: TensorShapes, index: number): number[] {
  const n = shapes.dimensionCounts[index] ?? 0;
  return Array.from(shapes.dims.subarray(index * MAX_TENSOR_DIMENSIONS, index * MAX_TENSOR_DIMENSIONS + n));
}

/** A metadata integer as a count, or null when absent, text, a float, negative, fractional or too large. */
export function countOf(kept: KeptValue | undefined): number | null {
  if (kept === undefined || typeof kept.value === 'string' || kept.type === GgufValueType.f32 || kept.type === GgufValueType.f64) return null;
  const value = Number(kept.value);
  return Number.isSafeInteger(value) && value >= 0 ? value : null;
}

/** Per-layer lists (head counts in some models) are this short; longer integer lists are skipped. */
const MAX_KEPT_LIST = 4096;
/** Tensor names are read whole in one prefetch; ggml's own cap is 63. */
const MAX_TENSOR_NAME_CAP = 4096;
/** Only so much of a kept text value is decoded (names, architectures). */
const MAX_KEPT_TEXT = 256;
const KEPT_SUFFIXES = ['.context_length', '.block_count', '.embedding_length', '.attention.head_count', '.attention.head_count_kv', '.vocab_size'];
const KEPT_KEYS = new Set(['general.architecture', 'general.name', 'general.file_type', 'general.alignment', 'general.type', 'adapter.type', 'adapter.lora.alpha', 'tokenizer.chat_template']);

function keepsValue(key: string): boolean {
  return KEPT_KEYS.has(key) || KEPT_SUFFIXES.some((suffix) => key.endsWith(suffix));
}

const reject = (message: string): never => {
  throw new GgufRejection(message);
};

/** Text from the file made safe to show: no control or formatting characters, not too long. */
export function printable(text: string, max = 80): string {
  const clean = text.replace(/[\p{Cc}\p{Cf}]/gu, '\uFFFD');
  return clean.length > max ? `${clean.slice(0, max)}…` : clean;
}

/** 1048576 → "1 MiB"; other sizes in bytes. */
const bytesLimit = (bytes: number): string => (bytes >= 1024 * 1024 && bytes % (1024 * 1024) === 0 ? `${bytes / (1024 * 1024)} MiB` : `${bytes} bytes`);

const tooMany = (what: string, count: bigint, limit: number): string =>
  `The model file says it has ${count} ${what}, more than any real model (limit ${limit}).`;

export async function parseGguf(reader: BoundedReader, limits: GgufLimits): Promise<ParsedGguf> {
  if (reader.size < 4) reject(`This file is too short to be a GGUF model (${reader.size} bytes).`);
  const magic = await reader.bytes(4);
  if (magic.readUInt32LE(0) !== GGUF_MAGIC) reject(`This file is not a GGUF model (it starts with ${describeStart(magic)}).`);
  const version = await reader.u32();
  if (!SUPPORTED_VERSIONS.has(version)) {
    if (SUPPORTED_VERSIONS.has(swap32(version))) reject('This GGUF file is big-endian (made for IBM mainframes); Burrow runs the usual little-endian kind. Download that version of the model.');
    reject(`This GGUF file uses format version ${version}; Burrow reads versions 2 and 3. Download a current version of the model.`);
  }
  const tensorCount = await reader.u64();
  const entryCount = await reader.u64();
  if (entryCount > BigInt(limits.maxMetadataEntries)) reject(tooMany('metadata entries', entryCount, limits.maxMetadataEntries));
  if (tensorCount > BigInt(limits.maxTensors)) reject(tooMany('tensors', tensorCount, limits.maxTensors));
  // Smallest possible entry: empty key (8) + type (4) + one byte; smallest tensor: empty name (8) + dims (4 + 8) + type (4) + offset (8).
  if (entryCount * 13n + tensorCount * 32n > BigInt(reader.remaining)) {
    reject(`This model file is cut short: it says it has ${entryCount} metadata entries and ${tensorCount} tensors, but it is only ${reader.size} bytes long.`);
  }

  reader.section = 'metadata';
  const metadataEnd = reader.position + limits.maxMetadataBytes;
  reader.setLimit({ end: metadataEnd, message: () => `The model file's metadata is larger than any real model's (limit ${bytesLimit(limits.maxMetadataBytes)}).` });
  const metadata = new Map<string, KeptValue>();
  const arrayLengths = new Map<string, number>();
  const keys = new Set<string>();
  for (let i = 0n; i < entryCount; i++) {
    const key = await reader.string(limits.maxKeyBytes, (n) => `The model file has a metadata key ${n} bytes long, more than any real model (limit ${bytesLimit(limits.maxKeyBytes)}).`);
    if (keys.has(key)) reject(`The model file lists the metadata entry "${printable(key)}" twice. It is damaged.`);
    keys.add(key);
    await readValue(reader, key, limits, metadata, arrayLengths);
  }
  reader.setLimit(null);

  const alignment = readAlignment(metadata.get('general.alignment'));
  if (tensorCount === 0n) reject('This GGUF file has no tensors (weights), so it is not a model Burrow can run. It may hold only a vocabulary.');
  const tensors = await readTensorList(reader, Number(tensorCount), limits);
  const dataOffset = Math.ceil(reader.position / alignment) * alignment;
  reader.section = 'tensor data';
  if (dataOffset > reader.size) throw reader.cutShort();
  checkLayout(tensors, dataOffset, alignment, reader.size);
  return {
    version,
    metadata,
    arrayLengths,
    tensorCount: tensors.names.length,
    parameterCount: tensors.parameterCount,
    elementsByType: tensors.elementsByType,
    alignment,
    dataOffset,
    tensors: { names: tensors.names, dims: tensors.dims, dimensionCounts: tensors.dimensionCounts },
  };
}

const swap32 = (n: number): number => (((n & 0xff) << 24) | ((n & 0xff00) << 8) | ((n >>> 8) & 0xff00) | (n >>> 24)) >>> 0;

function describeStart(bytes: Buffer): string {
  const text = bytes.toString('latin1');
  return /^[\x20-\x7e]+$/.test(text) ? text : `the bytes ${[...bytes].map((b) => b.toString(16).toUpperCase().padStart(2, '0')).join(' ')}`;
}

async function readValue(reader: BoundedReader, key: string, limits: GgufLimits, metadata: Map<string, KeptValue>, arrayLengths: Map<string, number>): Promise<void> {
  const type = await reader.u32();
  const shown = printable(key);
  const keep = keepsValue(key);
  const stringTooLong = (n: bigint): string => `The model file has a text value ${n} bytes long (in "${shown}"), more than any real model (limit ${bytesLimit(limits.maxStringBytes)}).`;
  if (type === GgufValueType.string) {
    // One decoded byte is enough to know the chat template is there.
    const text = await reader.string(limits.maxStringBytes, stringTooLong, key === 'tokenizer.chat_template' ? 1 : keep ? MAX_KEPT_TEXT : 0);
    if (keep) metadata.set(key, { type, value: text });
    return;
  }
  const size = FIXED_VALUE_SIZE.get(type);
  if (size !== undefined) {
    if (keep) metadata.set(key, { type, value: readInteger(type, await reader.bytes(size)) });
    else reader.skip(size);
    return;
  }
  if (type !== GgufValueType.array) return reject(`The metadata value "${shown}" has an unknown type (${type}). The file is damaged or uses a GGUF feature Burrow does not know.`);

  const itemType = await reader.u32();
  const count = await reader.u64();
  if (itemType === GgufValueType.array) reject(`The metadata value "${shown}" is a list of lists, which GGUF does not allow.`);
  const limit = key.startsWith('tokenizer.') ? limits.maxTokenizerArrayItems : limits.maxArrayItems;
  if (count > BigInt(limit)) reject(`The metadata value "${shown}" says it is a list of ${count} items, more than any real model (limit ${limit}).`);
  const n = Number(count);
  if (key.startsWith('tokenizer.ggml.')) arrayLengths.set(key, n);
  if (itemType === GgufValueType.string) return reader.skipStrings(n, limits.maxStringBytes, stringTooLong);
  const itemSize = FIXED_VALUE_SIZE.get(itemType);
  if (itemSize === undefined) return reject(`The metadata list "${shown}" has items of an unknown type (${itemType}). The file is damaged or uses a GGUF feature Burrow does not know.`);
  if (!keep || n > MAX_KEPT_LIST || n === 0) return reader.skip(n * itemSize);
  let largest: number | bigint = 0;
  for (let i = 0; i < n; i++) {
    const item = readInteger(itemType, await reader.bytes(itemSize));
    if (item > largest) largest = item;
  }
  metadata.set(key, { type: itemType, value: largest, list: true });
}

function readInteger(type: number, bytes: Buffer): number | bigint {
  switch (type) {
    case GgufValueType.u8:
    case GgufValueType.bool:
      return bytes.readUInt8(0);
    case GgufValueType.i8:
      return bytes.readInt8(0);
    case GgufValueType.u16:
      return bytes.readUInt16LE(0);
    case GgufValueType.i16:
      return bytes.readInt16LE(0);
    case GgufValueType.u32:
      return bytes.readUInt32LE(0);
    case GgufValueType.i32:
      return bytes.readInt32LE(0);
    case GgufValueType.u64:
      return bytes.readBigUInt64LE(0);
    case GgufValueType.i64:
      return bytes.readBigInt64LE(0);
    // Kept as numbers (adapter.lora.alpha); count() in the validator ignores float types.
    case GgufValueType.f32:
      return bytes.readFloatLE(0);
    case GgufValueType.f64:
      return bytes.readDoubleLE(0);
    default:
      return Number.NaN;
  }
}

function readAlignment(value: KeptValue | undefined): number {
  if (value === undefined) return DEFAULT_ALIGNMENT;
  // llama.cpp reads it with gguf_get_val_u32, which aborts the process on any other type.
  if (value.type !== GgufValueType.u32 || value.list) return reject('The model file gives its tensor alignment (general.alignment) in the wrong type; it must be a 32-bit unsigned integer.');
  const alignment = Number(value.value);
  if (alignment === 0 || (alignment & (alignment - 1)) !== 0) {
    return reject(`The model file asks for a tensor alignment of ${alignment} bytes, which is not a power of two. It is damaged.`);
  }
  return alignment;
}

interface TensorList {
  names: string[];
  /** Offsets (relative to the data section) and byte sizes, in file order. */
  offsets: BigUint64Array;
  sizes: BigUint64Array;
  parameterCount: bigint;
  elementsByType: Map<number, bigint>;
  dims: Float64Array;
  dimensionCounts: Uint8Array;
}

async function readTensorList(reader: BoundedReader, count: number, limits: GgufLimits): Promise<TensorList> {
  reader.section = 'tensor list';
  // count is at most limits.maxTensors and was checked against the file size.
  const list: TensorList = {
    names: [],
    offsets: new BigUint64Array(count),
    sizes: new BigUint64Array(count),
    parameterCount: 0n,
    elementsByType: new Map(),
    dims: new Float64Array(count * MAX_TENSOR_DIMENSIONS),
    dimensionCounts: new Uint8Array(count),
  };
  const seen = new Set<string>();
  const nameCap = Math.min(limits.maxTensorNameBytes, MAX_TENSOR_NAME_CAP);
  const nameTooLong = (n: bigint): string => `The model file has a tensor name ${n} bytes long; ggml allows at most ${bytesLimit(nameCap)}.`;
  // The longest possible tensor info: name, dimension count, dimensions, type, offset.
  const recordBytes = 8 + nameCap + 4 + 8 * MAX_TENSOR_DIMENSIONS + 4 + 8;
  const blockSizes = new Map<number, bigint>();
  for (let i = 0; i < count; i++) {
    // One read per tensor, then synchronous parsing: a model has up to tens of thousands of tensors.
    await reader.prefetch(recordBytes);
    const name = reader.stringNow(nameCap, nameTooLong, nameCap);
    if (seen.has(name)) reject(`The model file lists the tensor "${printable(name)}" twice. It is damaged.`);
    seen.add(name);
    const dimensionCount = reader.u32Now();
    if (dimensionCount < 1 || dimensionCount > MAX_TENSOR_DIMENSIONS) {
      reject(`Tensor "${printable(name)}" has ${dimensionCount} dimensions; GGUF tensors have 1 to ${MAX_TENSOR_DIMENSIONS}. The file is damaged.`);
    }
    let elements = 1n;
    let first = 0n;
    let hasZero = false;
    const dimensions: bigint[] = [];
    for (let d = 0; d < dimensionCount; d++) {
      const dimension = reader.u64Now();
      dimensions.push(dimension);
      list.dims[i * MAX_TENSOR_DIMENSIONS + d] = Number(dimension);
      if (d === 0) first = dimension;
      if (dimension === 0n) hasZero = true;
      elements *= dimension;
    }
    if (hasZero) reject(`Tensor "${printable(name)}" has a dimension of 0. The file is damaged.`);
    if (elements > INT64_MAX) {
      reject(`Tensor "${printable(name)}" has dimensions [${dimensions.join(', ')}] whose product overflows: more elements than can exist. The file is damaged.`);
    }
    const typeId = reader.u32Now();
    const type = GGML_TYPES.get(typeId);
    if (type === undefined) return reject(`Tensor "${printable(name)}" has an unknown data type (${typeId}). The file is damaged or needs a newer Burrow.`);
    let blockSize = blockSizes.get(typeId);
    if (blockSize === undefined) blockSizes.set(typeId, (blockSize = BigInt(type.blockSize)));
    if (first % blockSize !== 0n) {
      reject(`Tensor "${printable(name)}" (${type.name}) has a first dimension of ${first}, which is not a multiple of its block size ${type.blockSize}. The file is damaged.`);
    }
    const bytes = (elements / blockSize) * BigInt(type.typeSize);
    // Up to 8 bytes per element (F64, I64): checked before it goes into a 64-bit array.
    if (bytes > INT64_MAX) reject(`Tensor "${printable(name)}" would need ${bytes} bytes, more than can exist. The file is damaged.`);
    list.names.push(name);
    list.dimensionCounts[i] = dimensionCount;
    list.offsets[i] = reader.u64Now();
    list.sizes[i] = bytes;
    list.parameterCount += elements;
    list.elementsByType.set(typeId, (list.elementsByType.get(typeId) ?? 0n) + elements);
  }
  return list;
}

/**
 * llama.cpp requires each tensor's data to start exactly where the previous one ends, padded
 * to the alignment; that also rules out gaps, overlaps and misaligned data. The file must end
 * within one alignment unit after the last tensor.
 */
function checkLayout(tensors: TensorList, dataOffset: number, alignment: number, size: number): void {
  const align = BigInt(alignment);
  const start = BigInt(dataOffset);
  const fileSize = BigInt(size);
  let expected = 0n;
  let end = 0n;
  tensors.names.forEach((name, i) => {
    const offset = tensors.offsets[i] ?? 0n;
    const bytes = tensors.sizes[i] ?? 0n;
    if (offset !== expected) {
      if (start + offset >= fileSize) {
        reject(`Tensor "${printable(name)}" points to data at byte ${start + offset}, past the end of the file (${size} bytes). The file is damaged.`);
      }
      reject(`Tensor "${printable(name)}" says its data starts at byte ${offset} of the data section, but the tensors before it end at byte ${expected}. The file is damaged.`);
    }
    end = offset + bytes;
    expected = ((end + align - 1n) / align) * align;
  });
  const needed = start + end;
  if (needed > fileSize) {
    reject(
      `This model file is cut short: it is ${size} bytes, but its tensors need ${needed}. ` +
        'The download may have stopped early; download the model again.',
    );
  }
  if (fileSize - needed >= align) {
    reject(`The model file has ${fileSize - needed} bytes after its last tensor that belong to no tensor. It is damaged or is not a plain GGUF model.`);
  }
}
