/**
 * The GGUF writer, checked against an independent reader (node-llama-cpp's readGgufFileInfo)
 * and, for tensor data, against ggml's own dequantization formulas.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGgufFileInfo, type GgufFileInfo } from 'node-llama-cpp';
import { afterAll, describe, expect, it } from 'vitest';
import { encodeGguf, gguf, toHalf, writeGgufFile, type GgufSpec } from '../support/gguf-writer';
import { TINYLLAMA_CHAT_TEMPLATE, tinyModelPath, writeTinyModel } from '../support/tiny-model';

const dir = mkdtempSync(join(tmpdir(), 'burrow-gguf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function writeAndRead(name: string, spec: GgufSpec): Promise<{ info: GgufFileInfo; bytes: Buffer }> {
  const path = join(dir, name);
  writeGgufFile(path, spec);
  return { info: await readGgufFileInfo(path, { logWarnings: false }), bytes: readFileSync(path) };
}

/** The reader nests metadata by dots; this walks it with a flat key. */
function meta(info: GgufFileInfo, key: string): unknown {
  return key.split('.').reduce<unknown>((node, part) => (node as Record<string, unknown> | undefined)?.[part], info.metadata);
}

function fromHalf(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

const ramp = (n: number): Float32Array => Float32Array.from({ length: n }, (_, i) => Math.sin(i * 0.37) * (1 + (i % 7)));

describe('GGUF writer', () => {
  it('writes every metadata value type, including arrays and UTF-8 strings', async () => {
    const { info } = await writeAndRead('meta.gguf', {
      metadata: {
        'general.architecture': gguf.str('llama'),
        'test.u8': gguf.u8(255),
        'test.i8': gguf.i8(-128),
        'test.u16': gguf.u16(65535),
        'test.i16': gguf.i16(-32768),
        'test.u32': gguf.u32(4_000_000_000),
        'test.i32': gguf.i32(-2_000_000_000),
        'test.f32': gguf.f32(0.5),
        'test.f64': gguf.f64(Math.PI),
        'test.u64': gguf.u64(2n ** 40n),
        'test.i64': gguf.i64(-(2n ** 40n)),
        'test.bool': gguf.bool(true),
        'test.string': gguf.str('▁terrier 🐇 “quoted”'),
        'test.strings': gguf.array('string', ['a', '', 'ü▁']),
        'test.ints': gguf.array('i32', [1, -2, 3]),
        'test.floats': gguf.array('f32', [0.25, -1.5]),
        'test.bools': gguf.array('bool', [true, false]),
        'test.empty': gguf.array('u8', []),
      },
      tensors: [],
    });
    expect(info.version).toBe(3);
    expect(info.tensorInfo).toEqual([]);
    const expected: Record<string, unknown> = {
      'test.u8': 255,
      'test.i8': -128,
      'test.u16': 65535,
      'test.i16': -32768,
      'test.u32': 4_000_000_000,
      'test.i32': -2_000_000_000,
      'test.f32': 0.5,
      'test.f64': Math.PI,
      'test.bool': true,
      'test.string': '▁terrier 🐇 “quoted”',
      'test.strings': ['a', '', 'ü▁'],
      'test.ints': [1, -2, 3],
      'test.floats': [0.25, -1.5],
      'test.bools': [true, false],
      'test.empty': [],
    };
    for (const [key, value] of Object.entries(expected)) expect(meta(info, key), key).toEqual(value);
    // 64-bit integers come back as numbers when they are safe, else as bigints.
    expect(BigInt(meta(info, 'test.u64') as number | bigint)).toBe(2n ** 40n);
    expect(BigInt(meta(info, 'test.i64') as number | bigint)).toBe(-(2n ** 40n));
  });

  it('places tensors at aligned offsets and writes their data in each type', async () => {
    const values = ramp(64);
    const { info, bytes } = await writeAndRead('tensors.gguf', {
      metadata: { 'general.architecture': gguf.str('llama') },
      tensors: [
        { name: 'a.f32', dims: [3], type: 'F32', data: Float32Array.of(1, -2, 3.5) },
        { name: 'b.f16', dims: [32, 2], type: 'F16', data: values },
        { name: 'c.q8', dims: [32, 2], type: 'Q8_0', data: () => values },
        { name: 'd.q4', dims: [64], type: 'Q4_0', data: values },
      ],
    });
    const tensors = info.tensorInfo ?? [];
    expect(tensors.map((t) => [t.name, t.dimensions.map(Number), Number(t.ggmlType)])).toEqual([
      ['a.f32', [3], 0],
      ['b.f16', [32, 2], 1],
      ['c.q8', [32, 2], 8],
      ['d.q4', [64], 2],
    ]);
    const dataStart = info.infoEndOffset ?? 0;
    expect(dataStart % 32).toBe(0);
    for (const t of tensors) expect(Number(t.offset) % 32).toBe(0);
    const at = (i: number): number => dataStart + Number(tensors[i]?.offset);

    expect([0, 1, 2].map((k) => bytes.readFloatLE(at(0) + 4 * k))).toEqual([1, -2, 3.5]);
    for (let k = 0; k < 64; k++) expect(fromHalf(bytes.readUInt16LE(at(1) + 2 * k))).toBeCloseTo(values[k] ?? 0, 2);

    // Q8_0 block: f16 scale d, then 32 × i8; value = d × q.
    for (let k = 0; k < 64; k++) {
      const block = at(2) + 34 * Math.floor(k / 32);
      const d = fromHalf(bytes.readUInt16LE(block));
      expect(d * bytes.readInt8(block + 2 + (k % 32))).toBeCloseTo(values[k] ?? 0, 1);
    }
    // Q4_0 block: f16 scale d, then 16 bytes; element j is the low nibble of byte j, j+16 the high one; value = d × (q − 8).
    for (let k = 0; k < 64; k++) {
      const block = at(3) + 18 * Math.floor(k / 32);
      const j = k % 32;
      const byte = bytes.readUInt8(block + 2 + (j % 16));
      const q = j < 16 ? byte & 0x0f : byte >> 4;
      const d = fromHalf(bytes.readUInt16LE(block));
      expect(Math.abs(d * (q - 8) - (values[k] ?? 0))).toBeLessThanOrEqual(Math.abs(d) / 2 + 1e-3);
    }
    // The file ends on an alignment boundary after the last tensor, as llama.cpp expects.
    expect(bytes.length).toBe(at(3) + 2 * 18 + (32 - ((2 * 18) % 32)));
  });

  it('honours a custom alignment and records it as general.alignment', async () => {
    const { info } = await writeAndRead('aligned.gguf', {
      alignment: 64,
      metadata: { 'general.architecture': gguf.str('llama') },
      tensors: [
        { name: 'x', dims: [5], type: 'F32', data: new Float32Array(5) },
        { name: 'y', dims: [7], type: 'F32', data: new Float32Array(7) },
      ],
    });
    expect(meta(info, 'general.alignment')).toBe(64);
    expect((info.tensorInfo ?? []).map((t) => Number(t.offset))).toEqual([0, 64]);
    expect((info.infoEndOffset ?? 1) % 64).toBe(0);
  });

  it('refuses data that does not match the declared shape', () => {
    expect(() => encodeGguf({ metadata: {}, tensors: [{ name: 'x', dims: [4], type: 'F32', data: new Float32Array(3) }] })).toThrow(/3 values/);
    expect(() => encodeGguf({ metadata: {}, tensors: [{ name: 'q', dims: [16], type: 'Q8_0', data: new Float32Array(16) }] })).toThrow(/multiple of 32/);
    expect(() => encodeGguf({ metadata: { bad: { type: 'u32', value: 'x' } as never }, tensors: [] })).toThrow(/wrong JavaScript type/);
  });

  it('converts to half precision with IEEE rounding', () => {
    expect(toHalf(1)).toBe(0x3c00);
    expect(toHalf(-2)).toBe(0xc000);
    expect(toHalf(65504)).toBe(0x7bff);
    expect(toHalf(1e6)).toBe(0x7c00);
    expect(toHalf(0.1)).toBe(0x2e66);
    expect(toHalf(2 ** -24)).toBe(0x0001);
    expect(toHalf(1e-9)).toBe(0);
    expect(toHalf(Number.NaN) & 0x7c00).toBe(0x7c00);
  });
});

describe('tiny model', () => {
  it('is a llama model with the byte vocabulary, words and the TinyLlama chat template', async () => {
    const path = writeTinyModel(join(dir, 'tiny.gguf'));
    const info = await readGgufFileInfo(path, { logWarnings: false });
    expect(meta(info, 'general.architecture')).toBe('llama');
    expect(meta(info, 'llama.block_count')).toBe(2);
    expect(meta(info, 'llama.embedding_length')).toBe(32);
    expect(meta(info, 'llama.context_length')).toBe(2048);
    expect(meta(info, 'tokenizer.ggml.model')).toBe('llama');
    expect(meta(info, 'tokenizer.chat_template')).toBe(TINYLLAMA_CHAT_TEMPLATE);
    const tokens = meta(info, 'tokenizer.ggml.tokens') as string[];
    const types = meta(info, 'tokenizer.ggml.token_type') as number[];
    expect(tokens.slice(0, 3)).toEqual(['<unk>', '<s>', '</s>']);
    expect(tokens[3]).toBe('<0x00>');
    expect(tokens[258]).toBe('<0xFF>');
    expect(tokens).toContain('▁');
    expect(tokens).toContain('▁burrow');
    expect(types.slice(0, 4)).toEqual([2, 3, 3, 6]);
    expect((meta(info, 'tokenizer.ggml.scores') as number[]).length).toBe(tokens.length);
    expect(info.tensorInfo?.find((t) => t.name === 'output.weight')?.dimensions.map(Number)).toEqual([32, tokens.length]);
    expect(statSync(path).size).toBeLessThan(300_000);
  });

  it('is the same bytes for the same options, and cached by tinyModelPath', () => {
    const a = readFileSync(writeTinyModel(join(dir, 'a.gguf')));
    const b = readFileSync(writeTinyModel(join(dir, 'b.gguf')));
    expect(a.equals(b)).toBe(true);
    expect(readFileSync(tinyModelPath()).equals(a)).toBe(true);
    expect(readFileSync(writeTinyModel(join(dir, 'c.gguf'), { seed: 7 })).equals(a)).toBe(false);
  });
});
