/**
 * A small, general GGUF v3 writer, so tests (and benchmarks) can make their own models
 * instead of downloading weights. Written by hand because no npm library writes GGUF:
 * node-llama-cpp and @huggingface/gguf only read it.
 *
 * Layout (all little-endian): "GGUF", version u32, tensor count u64, metadata count u64,
 * the metadata key/values, the tensor infos, padding to `alignment`, then each tensor's
 * data at an offset (relative to the data section) that is a multiple of `alignment`.
 */
import { closeSync, openSync, renameSync, writeSync } from 'node:fs';

/** GGUF metadata value type ids, as in ggml's gguf.h. */
export const GgufType = {
  u8: 0,
  i8: 1,
  u16: 2,
  i16: 3,
  u32: 4,
  i32: 5,
  f32: 6,
  bool: 7,
  string: 8,
  array: 9,
  u64: 10,
  i64: 11,
  f64: 12,
} as const;

type NumberType = 'u8' | 'i8' | 'u16' | 'i16' | 'u32' | 'i32' | 'f32' | 'f64';
type BigIntType = 'u64' | 'i64';
export type ScalarType = NumberType | BigIntType | 'bool' | 'string';

export type GgufScalar =
  | { type: NumberType; value: number }
  | { type: BigIntType; value: bigint }
  | { type: 'bool'; value: boolean }
  | { type: 'string'; value: string };

export type GgufArray = { type: 'array'; itemType: ScalarType; values: readonly (number | bigint | boolean | string)[] };
export type GgufValue = GgufScalar | GgufArray;

/** Shorthands for metadata values: `gguf.u32(2048)`, `gguf.array('string', tokens)`. */
export const gguf = {
  u8: (value: number): GgufValue => ({ type: 'u8', value }),
  i8: (value: number): GgufValue => ({ type: 'i8', value }),
  u16: (value: number): GgufValue => ({ type: 'u16', value }),
  i16: (value: number): GgufValue => ({ type: 'i16', value }),
  u32: (value: number): GgufValue => ({ type: 'u32', value }),
  i32: (value: number): GgufValue => ({ type: 'i32', value }),
  f32: (value: number): GgufValue => ({ type: 'f32', value }),
  f64: (value: number): GgufValue => ({ type: 'f64', value }),
  u64: (value: bigint): GgufValue => ({ type: 'u64', value }),
  i64: (value: bigint): GgufValue => ({ type: 'i64', value }),
  bool: (value: boolean): GgufValue => ({ type: 'bool', value }),
  str: (value: string): GgufValue => ({ type: 'string', value }),
  array: (itemType: ScalarType, values: readonly (number | bigint | boolean | string)[]): GgufValue => ({ type: 'array', itemType, values }),
};

/** ggml tensor types this writer can encode, with their ggml ids. */
export const GgmlType = { F32: 0, F16: 1, Q4_0: 2, Q8_0: 8 } as const;
export type GgmlTypeName = keyof typeof GgmlType;

export interface GgufTensor {
  name: string;
  /** ggml order: dims[0] is the innermost (contiguous) dimension, e.g. [n_embd, n_vocab]. */
  dims: readonly number[];
  type: GgmlTypeName;
  /** Row-major values (dims[0] fastest). A function is called only when the data is written, to keep big models out of memory. */
  data: Float32Array | (() => Float32Array);
}

export interface GgufSpec {
  metadata: Record<string, GgufValue>;
  tensors: readonly GgufTensor[];
  /** Tensor data alignment in bytes. Default 32 (also written as general.alignment when not 32). */
  alignment?: number;
}

const QUANT_BLOCK = 32;

export function tensorByteSize(type: GgmlTypeName, elements: number): number {
  switch (type) {
    case 'F32':
      return elements * 4;
    case 'F16':
      return elements * 2;
    case 'Q8_0':
      return (elements / QUANT_BLOCK) * 34; // f16 scale + 32 × i8
    case 'Q4_0':
      return (elements / QUANT_BLOCK) * 18; // f16 scale + 32 × 4 bits
  }
}

/** Grows as it is written; only used for the header, which is small. */
class ByteWriter {
  #buffer = Buffer.alloc(4096);
  #length = 0;

  #ensure(extra: number): void {
    if (this.#length + extra <= this.#buffer.length) return;
    const next = Buffer.alloc(Math.max(this.#buffer.length * 2, this.#length + extra));
    this.#buffer.copy(next, 0, 0, this.#length);
    this.#buffer = next;
  }
  get length(): number {
    return this.#length;
  }
  u8(v: number): void { this.#ensure(1); this.#buffer.writeUInt8(v, this.#length); this.#length += 1; }
  i8(v: number): void { this.#ensure(1); this.#buffer.writeInt8(v, this.#length); this.#length += 1; }
  u16(v: number): void { this.#ensure(2); this.#buffer.writeUInt16LE(v, this.#length); this.#length += 2; }
  i16(v: number): void { this.#ensure(2); this.#buffer.writeInt16LE(v, this.#length); this.#length += 2; }
  u32(v: number): void { this.#ensure(4); this.#buffer.writeUInt32LE(v, this.#length); this.#length += 4; }
  i32(v: number): void { this.#ensure(4); this.#buffer.writeInt32LE(v, this.#length); this.#length += 4; }
  f32(v: number): void { this.#ensure(4); this.#buffer.writeFloatLE(v, this.#length); this.#length += 4; }
  f64(v: number): void { this.#ensure(8); this.#buffer.writeDoubleLE(v, this.#length); this.#length += 8; }
  u64(v: bigint | number): void { this.#ensure(8); this.#buffer.writeBigUInt64LE(BigInt(v), this.#length); this.#length += 8; }
  i64(v: bigint): void { this.#ensure(8); this.#buffer.writeBigInt64LE(v, this.#length); this.#length += 8; }
  string(v: string): void {
    const bytes = Buffer.from(v, 'utf8');
    this.u64(bytes.length);
    this.#ensure(bytes.length);
    bytes.copy(this.#buffer, this.#length);
    this.#length += bytes.length;
  }
  zeros(n: number): void { this.#ensure(n); this.#buffer.fill(0, this.#length, this.#length + n); this.#length += n; }
  bytes(): Buffer {
    return this.#buffer.subarray(0, this.#length);
  }
}

function writeScalar(out: ByteWriter, type: ScalarType, value: number | bigint | boolean | string): void {
  const fail = (): never => {
    throw new TypeError(`GGUF ${type} value has the wrong JavaScript type: ${typeof value}`);
  };
  if (type === 'string') return typeof value === 'string' ? out.string(value) : fail();
  if (type === 'bool') return typeof value === 'boolean' ? out.u8(value ? 1 : 0) : fail();
  if (type === 'u64' || type === 'i64') {
    if (typeof value !== 'bigint') return fail();
    return type === 'u64' ? out.u64(value) : out.i64(value);
  }
  if (typeof value !== 'number') return fail();
  out[type](value);
}

function writeValue(out: ByteWriter, value: GgufValue): void {
  out.u32(GgufType[value.type]);
  if (value.type !== 'array') return writeScalar(out, value.type, value.value);
  out.u32(GgufType[value.itemType]);
  out.u64(value.values.length);
  for (const item of value.values) writeScalar(out, value.itemType, item);
}

const alignUp = (n: number, alignment: number): number => Math.ceil(n / alignment) * alignment;

function elementCount(tensor: GgufTensor): number {
  return tensor.dims.reduce((a, b) => a * b, 1);
}

/** The header (everything before the tensor data) and where each tensor's data goes. */
function encodeHeader(spec: GgufSpec): { header: Buffer; offsets: number[]; alignment: number } {
  const alignment = spec.alignment ?? 32;
  const metadata = { ...spec.metadata };
  if (alignment !== 32) metadata['general.alignment'] = gguf.u32(alignment);

  const out = new ByteWriter();
  out.u32(0x46554747); // "GGUF" read as a little-endian u32
  out.u32(3);
  out.u64(spec.tensors.length);
  out.u64(Object.keys(metadata).length);
  for (const [key, value] of Object.entries(metadata)) {
    out.string(key);
    writeValue(out, value);
  }

  const offsets: number[] = [];
  let offset = 0;
  for (const tensor of spec.tensors) {
    const elements = elementCount(tensor);
    if (tensor.type !== 'F32' && tensor.type !== 'F16' && (tensor.dims[0] ?? 0) % QUANT_BLOCK !== 0) {
      throw new RangeError(`${tensor.name}: ${tensor.type} needs dims[0] to be a multiple of ${QUANT_BLOCK}`);
    }
    out.string(tensor.name);
    out.u32(tensor.dims.length);
    for (const dim of tensor.dims) out.u64(dim);
    out.u32(GgmlType[tensor.type]);
    out.u64(offset);
    offsets.push(offset);
    offset = alignUp(offset + tensorByteSize(tensor.type, elements), alignment);
  }
  out.zeros(alignUp(out.length, alignment) - out.length);
  return { header: out.bytes(), offsets, alignment };
}

/** Encodes one tensor's values in its ggml type. */
export function encodeTensorData(type: GgmlTypeName, values: Float32Array): Buffer {
  switch (type) {
    case 'F32':
      return Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    case 'F16': {
      const out = Buffer.alloc(values.length * 2);
      values.forEach((v, i) => out.writeUInt16LE(toHalf(v), i * 2));
      return out;
    }
    case 'Q8_0':
      return quantize(values, 34, (block, out) => {
        // ggml's quantize_row_q8_0_ref: d = max|x| / 127, q = round(x / d)
        const amax = block.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
        const d = amax / 127;
        const id = d === 0 ? 0 : 1 / d;
        out.writeUInt16LE(toHalf(d), 0);
        block.forEach((v, j) => out.writeInt8(Math.round(v * id), 2 + j));
      });
    case 'Q4_0':
      return quantize(values, 18, (block, out) => {
        // ggml's quantize_row_q4_0_ref: d = (signed value of max magnitude) / -8, nibbles biased by 8,
        // element j in the low nibble of byte j, element j+16 in its high nibble.
        let max = 0;
        for (const v of block) if (Math.abs(v) > Math.abs(max)) max = v;
        const d = max / -8;
        const id = d === 0 ? 0 : 1 / d;
        out.writeUInt16LE(toHalf(d), 0);
        for (let j = 0; j < 16; j++) {
          const lo = Math.min(15, Math.trunc((block[j] ?? 0) * id + 8.5));
          const hi = Math.min(15, Math.trunc((block[j + 16] ?? 0) * id + 8.5));
          out.writeUInt8(lo | (hi << 4), 2 + j);
        }
      });
  }
}

function quantize(values: Float32Array, blockBytes: number, encodeBlock: (block: Float32Array, out: Buffer) => void): Buffer {
  const blocks = values.length / QUANT_BLOCK;
  const out = Buffer.alloc(blocks * blockBytes);
  for (let b = 0; b < blocks; b++) {
    encodeBlock(values.subarray(b * QUANT_BLOCK, (b + 1) * QUANT_BLOCK), out.subarray(b * blockBytes, (b + 1) * blockBytes));
  }
  return out;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary32 → binary16, rounding to nearest even. */
export function toHalf(value: number): number {
  f32[0] = value;
  const bits = u32[0] ?? 0;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // Inf / NaN
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → Inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = mantissa >>> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    return sign | (rest > midpoint || (rest === midpoint && half & 1) ? half + 1 : half);
  }
  let half = (e << 10) | (mantissa >>> 13);
  const rest = mantissa & 0x1fff;
  // A carry out of the mantissa bumps the exponent, which is the correctly rounded result.
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half += 1;
  return sign | half;
}

/** The whole file in memory. Fine for test models; use writeGgufFile for big ones. */
export function encodeGguf(spec: GgufSpec): Buffer {
  const parts: Buffer[] = [];
  emit(spec, (chunk) => parts.push(Buffer.from(chunk)));
  return Buffer.concat(parts);
}

/** Writes the file tensor by tensor (to `path.tmp`, then renamed, so readers never see half a file). */
export function writeGgufFile(path: string, spec: GgufSpec): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openSync(temporary, 'w');
  try {
    emit(spec, (chunk) => {
      let written = 0;
      while (written < chunk.length) written += writeSync(fd, chunk, written);
    });
  } finally {
    closeSync(fd);
  }
  renameSync(temporary, path);
}

function emit(spec: GgufSpec, write: (chunk: Buffer) => void): void {
  const { header, offsets, alignment } = encodeHeader(spec);
  write(header);
  let position = 0;
  spec.tensors.forEach((tensor, i) => {
    const values = typeof tensor.data === 'function' ? tensor.data() : tensor.data;
    if (values.length !== elementCount(tensor)) {
      throw new RangeError(`${tensor.name}: ${values.length} values for dims [${tensor.dims.join(', ')}]`);
    }
    const target = offsets[i] ?? 0;
    if (target > position) write(Buffer.alloc(target - position));
    const data = encodeTensorData(tensor.type, values);
    write(data);
    position = target + data.length;
  });
  // Pad the end too, so the last tensor's data is followed by a full alignment unit like llama.cpp's own files.
  const end = alignUp(position, alignment);
  if (end > position) write(Buffer.alloc(end - position));
}

/**
 * Raw GGUF pieces for hostile-file tests: every magic, version, count, length, type id and
 * offset is written exactly as given, with no checks, so a test can build files no real
 * writer would. Concatenate them with Buffer.concat.
 */
export const rawGguf = {
  u32(value: number): Buffer {
    const out = Buffer.alloc(4);
    out.writeUInt32LE(value);
    return out;
  },
  u64(value: number | bigint): Buffer {
    const out = Buffer.alloc(8);
    out.writeBigUInt64LE(BigInt(value));
    return out;
  },
  /** magic (default "GGUF"), version (default 3), tensor count, metadata entry count. */
  header(options: { magic?: string; version?: number; tensorCount: number | bigint; metadataCount: number | bigint }): Buffer {
    return Buffer.concat([
      Buffer.from(options.magic ?? 'GGUF', 'latin1'),
      rawGguf.u32(options.version ?? 3),
      rawGguf.u64(options.tensorCount),
      rawGguf.u64(options.metadataCount),
    ]);
  },
  /** A GGUF string; `declaredLength` overrides the length written before the bytes. */
  string(value: string, declaredLength?: number | bigint): Buffer {
    const bytes = Buffer.from(value, 'utf8');
    return Buffer.concat([rawGguf.u64(declaredLength ?? bytes.length), bytes]);
  },
  /** One metadata entry: key, value type id, then the already encoded payload. */
  entry(key: string, typeId: number, payload: Buffer): Buffer {
    return Buffer.concat([rawGguf.string(key), rawGguf.u32(typeId), payload]);
  },
  /** A well-formed metadata entry from a writer value (`gguf.str('llama')`). */
  value(key: string, value: GgufValue): Buffer {
    const out = new ByteWriter();
    out.string(key);
    writeValue(out, value);
    return Buffer.from(out.bytes());
  },
  /** An array's header (item type id, declared item count) followed by `items`. */
  array(itemTypeId: number, declaredCount: number | bigint, items: Buffer = Buffer.alloc(0)): Buffer {
    return Buffer.concat([rawGguf.u32(itemTypeId), rawGguf.u64(declaredCount), items]);
  },
  /** One tensor info: name, dimension count and dimensions, ggml type id, data offset. */
  tensorInfo(name: string, dims: readonly (number | bigint)[], typeId: number, offset: number | bigint): Buffer {
    return Buffer.concat([rawGguf.string(name), rawGguf.u32(dims.length), ...dims.map((dim) => rawGguf.u64(dim)), rawGguf.u32(typeId), rawGguf.u64(offset)]);
  },
  /** Zero bytes up to the next multiple of `alignment` after `length` bytes. */
  padding(length: number, alignment = 32): Buffer {
    return Buffer.alloc((alignment - (length % alignment)) % alignment);
  },
};
