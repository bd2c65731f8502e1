/**
 * The bounded GGUF validator against every hostile file in SECURITY.md item 11: each is
 * rejected with a plain reason, within 2 s and < 50 MB of memory growth, and the validator
 * still accepts a real model afterwards. Valid models yield the facts the library shows.
 *
 * Set GGUF_VALIDATOR_REPORT=1 to print the measured time and memory of each hostile case.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, copyFileSync, mkdtempSync, openSync, rmSync, statSync, truncateSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readGgufFileInfo } from 'node-llama-cpp';
import { afterAll, describe, expect, it } from 'vitest';
import { validateGguf } from '../../../src/core/gguf/gguf-validator';
import { GgufType, gguf, rawGguf, writeGgufFile } from '../../support/gguf-writer';
import { tinyModelPath, tinyModelSpec, writeTinyModel } from '../../support/tiny-model';

const dir = mkdtempSync(join(tmpdir(), 'burrow-gguf-validator-'));
const measurements: Array<{ name: string; ms: number; rssMB: number; message: string }> = [];
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  if (process.env.GGUF_VALIDATOR_REPORT === '1') {
    console.table(measurements.map(({ name, ms, rssMB, message }) => ({ name, ms: ms.toFixed(1), 'rss growth MB': rssMB.toFixed(1), message })));
  }
});

function file(name: string, ...parts: Buffer[]): string {
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat(parts));
  return path;
}

const F32 = 0;
const architecture = rawGguf.value('general.architecture', gguf.str('llama'));

/** A header with the architecture entry and the given tensor infos, padded, then `dataBytes` of tensor data. */
function withTensors(name: string, infos: Buffer[], dataBytes: number): string {
  const head = Buffer.concat([rawGguf.header({ tensorCount: infos.length, metadataCount: 1 }), architecture, ...infos]);
  return file(name, head, rawGguf.padding(head.length), Buffer.alloc(dataBytes));
}

function truncatedCopy(source: string, name: string): string {
  const path = join(dir, name);
  copyFileSync(source, path);
  truncateSync(path, Math.floor(statSync(path).size / 2));
  return path;
}

/** Seeded bytes, the same on every run. */
function randomBytes(length: number, seed: number): Buffer {
  const out = Buffer.alloc(length);
  let state = seed >>> 0;
  for (let i = 0; i < length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    out[i] = state >>> 24;
  }
  return out;
}

const hostile: Array<{ name: string; make: () => string; expected: RegExp }> = [
  { name: 'bad magic', make: () => file('magic.gguf', Buffer.from('GGML'), rawGguf.u32(3), Buffer.alloc(64)), expected: /not a GGUF model \(it starts with GGML\)/ },
  { name: 'version 99', make: () => file('v99.gguf', rawGguf.header({ version: 99, tensorCount: 0, metadataCount: 0 })), expected: /format version 99/ },
  {
    name: 'big-endian file',
    make: () => file('big-endian.gguf', Buffer.from('GGUF'), Buffer.from([0, 0, 0, 3]), Buffer.alloc(64)),
    expected: /big-endian/,
  },
  { name: 'truncated header', make: () => file('header.gguf', rawGguf.header({ tensorCount: 1, metadataCount: 1 }).subarray(0, 20)), expected: /cut short/ },
  {
    name: 'truncated in the metadata',
    make: () => file('metadata-cut.gguf', rawGguf.header({ tensorCount: 0, metadataCount: 2 }), architecture, rawGguf.string('general.na')),
    expected: /cut short/,
  },
  {
    name: '2^40 metadata entries',
    make: () => file('entries.gguf', rawGguf.header({ tensorCount: 0, metadataCount: 2n ** 40n }), architecture),
    expected: /says it has 1099511627776 metadata entries, more than any real model \(limit \d+\)/,
  },
  {
    name: '2^40 tensors',
    make: () => file('tensors.gguf', rawGguf.header({ tensorCount: 2n ** 40n, metadataCount: 1 }), architecture),
    expected: /1099511627776 tensors, more than any real model/,
  },
  {
    name: '2^40-element array',
    make: () => file('array.gguf', rawGguf.header({ tensorCount: 0, metadataCount: 1 }), rawGguf.entry('tokenizer.ggml.tokens', GgufType.array, rawGguf.array(GgufType.string, 2n ** 40n))),
    expected: /list of 1099511627776 items, more than any real model/,
  },
  {
    name: 'array under the cap but past the end',
    make: () => file('array-eof.gguf', rawGguf.header({ tensorCount: 0, metadataCount: 1 }), rawGguf.entry('tokenizer.ggml.scores', GgufType.array, rawGguf.array(GgufType.f64, 4_000_000))),
    expected: /cut short/,
  },
  {
    name: '2^62-byte string',
    make: () => file('string.gguf', rawGguf.header({ tensorCount: 0, metadataCount: 2 }), architecture, rawGguf.entry('general.name', GgufType.string, rawGguf.string('x', 2n ** 62n))),
    expected: /text value 4611686018427387904 bytes long \(in "general.name"\), more than any real model/,
  },
  {
    name: '2^62-byte key',
    make: () => file('key.gguf', rawGguf.header({ tensorCount: 0, metadataCount: 1 }), rawGguf.string('general.name', 2n ** 62n)),
    expected: /metadata key 4611686018427387904 bytes long/,
  },
  {
    name: 'unknown value type',
    make: () => file('type.gguf', rawGguf.header({ tensorCount: 0, metadataCount: 1 }), rawGguf.entry('general.architecture', 13, Buffer.alloc(16))),
    expected: /"general.architecture" has an unknown type \(13\)/,
  },
  {
    name: 'list of lists',
    make: () => file('nested.gguf', rawGguf.header({ tensorCount: 0, metadataCount: 1 }), rawGguf.entry('general.tags', GgufType.array, rawGguf.array(GgufType.array, 1))),
    expected: /list of lists/,
  },
  { name: '5-dimensional tensor', make: () => withTensors('dims5.gguf', [rawGguf.tensorInfo('blk.0.x', [32, 1, 1, 1, 1], F32, 0)], 128), expected: /"blk.0.x" has 5 dimensions/ },
  {
    name: 'overflowing dimensions',
    make: () => withTensors('overflow.gguf', [rawGguf.tensorInfo('huge', [2n ** 32n, 2n ** 32n], F32, 0)], 128),
    expected: /"huge" has dimensions \[4294967296, 4294967296\] whose product overflows/,
  },
  { name: 'unknown tensor type', make: () => withTensors('ggml-type.gguf', [rawGguf.tensorInfo('t', [32], 4, 0)], 32), expected: /unknown data type \(4\)/ },
  {
    name: 'tensor offset past the end',
    make: () => withTensors('offset.gguf', [rawGguf.tensorInfo('t', [32], F32, 2n ** 40n)], 128),
    expected: /"t" points to data at byte \d+, past the end of the file/,
  },
  {
    name: 'overlapping tensors',
    make: () => withTensors('overlap.gguf', [rawGguf.tensorInfo('a', [32], F32, 0), rawGguf.tensorInfo('b', [32], F32, 64)], 256),
    expected: /"b" says its data starts at byte 64 of the data section, but the tensors before it end at byte 128/,
  },
  {
    name: 'alignment not a power of two',
    make: () => file('align.gguf', rawGguf.header({ tensorCount: 0, metadataCount: 2 }), architecture, rawGguf.value('general.alignment', gguf.u32(48))),
    expected: /alignment of 48 bytes, which is not a power of two/,
  },
  {
    name: 'duplicate key',
    make: () => file('duplicate.gguf', rawGguf.header({ tensorCount: 0, metadataCount: 2 }), architecture, architecture),
    expected: /"general.architecture" twice/,
  },
  {
    name: '5000 layers',
    make: () => {
      const head = Buffer.concat([rawGguf.header({ tensorCount: 1, metadataCount: 2 }), architecture, rawGguf.value('llama.block_count', gguf.u32(5000)), rawGguf.tensorInfo('t', [32], F32, 0)]);
      return file('layers.gguf', head, rawGguf.padding(head.length), Buffer.alloc(128));
    },
    expected: /5000 layers, more than any real model \(limit 1024\)/,
  },
  { name: 'data after the last tensor', make: () => withTensors('trailing.gguf', [rawGguf.tensorInfo('t', [32], F32, 0)], 4096), expected: /bytes after its last tensor/ },
  { name: 'empty file', make: () => file('empty.gguf'), expected: /empty \(0 bytes\)/ },
  { name: 'random bytes', make: () => file('random.gguf', randomBytes(1024 * 1024, 7)), expected: /not a GGUF model \(it starts with/ },
  {
    name: 'PDF renamed .gguf',
    make: () => file('paper.gguf', Buffer.from('%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n')),
    expected: /not a GGUF model \(it starts with %PDF\)/,
  },
  { name: 'tiny model truncated in half', make: () => truncatedCopy(tinyModelPath(), 'tiny-half.gguf'), expected: /cut short/ },
  {
    name: 'larger model truncated in half',
    make: () => truncatedCopy(writeTinyModel(join(dir, 'larger.gguf'), { dims: 256, layers: 4 }), 'larger-half.gguf'),
    expected: /This model file is cut short: it is \d+ bytes, but its tensors need \d+/,
  },
];

describe('GGUF validator: hostile files', () => {
  it.each(hostile)('rejects $name quickly and without growing memory', async ({ name, make, expected }) => {
    const path = make();
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const verdict = await validateGguf(path);
    const ms = performance.now() - started;
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    measurements.push({ name, ms, rssMB: rssGrowth / 2 ** 20, message: verdict.ok ? 'ACCEPTED' : verdict.message });

    expect(verdict).toMatchObject({ ok: false, code: 'model_invalid', message: expect.stringMatching(expected) });
    expect(ms).toBeLessThan(2000);
    expect(rssGrowth).toBeLessThan(50 * 2 ** 20);
    // The validator is unharmed: a real model still passes.
    expect((await validateGguf(tinyModelPath())).ok).toBe(true);
  });

  it('says "not a model file" for a folder, and leaves a missing file to the caller as an error', async () => {
    expect(await validateGguf(dir)).toMatchObject({ ok: false, code: 'model_invalid', message: expect.stringMatching(/folder or a device/) });
    await expect(validateGguf(join(dir, 'gone.gguf'))).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('checks a file at the caps (65 536 tensors, a 4 Mi-token vocabulary) within 2 s and 50 MB', async () => {
    const tokens = 4 * 1024 * 1024;
    const tensors = 65_536;
    const path = join(dir, 'at-the-caps.gguf');
    const fd = openSync(path, 'w');
    try {
      let length = 0;
      const write = (chunk: Buffer): void => {
        writeSync(fd, chunk);
        length += chunk.length;
      };
      write(rawGguf.header({ tensorCount: tensors, metadataCount: 2 }));
      write(architecture);
      write(rawGguf.entry('tokenizer.ggml.tokens', GgufType.array, rawGguf.array(GgufType.string, tokens)));
      const emptyStrings = Buffer.alloc(8 * 65_536);
      for (let i = 0; i < tokens / 65_536; i++) write(emptyStrings);
      const infos: Buffer[] = [];
      for (let i = 0; i < tensors; i++) infos.push(rawGguf.tensorInfo(`blk.${i}.weight`, [32], F32, i * 128));
      write(Buffer.concat(infos));
      write(rawGguf.padding(length));
      write(Buffer.alloc(tensors * 128));
    } finally {
      closeSync(fd);
    }
    const rssBefore = process.memoryUsage().rss;
    const started = performance.now();
    const verdict = await validateGguf(path);
    const ms = performance.now() - started;
    const rssGrowth = process.memoryUsage().rss - rssBefore;
    measurements.push({ name: 'valid file at the caps', ms, rssMB: rssGrowth / 2 ** 20, message: verdict.ok ? 'accepted' : verdict.message });
    expect(verdict).toMatchObject({ ok: true, facts: { tensorCount: tensors, vocabularySize: tokens, parameterCount: tensors * 32 } });
    expect(ms).toBeLessThan(2000);
    expect(rssGrowth).toBeLessThan(50 * 2 ** 20);
  });

  it.skipIf(process.platform === 'win32')('does not wait on a named pipe', async () => {
    const pipe = join(dir, 'pipe.gguf');
    execFileSync('mkfifo', [pipe]);
    expect(await validateGguf(pipe)).toMatchObject({ ok: false, message: expect.stringMatching(/folder or a device/) });
  });

  it('applies lower caps when asked', async () => {
    const verdict = await validateGguf(tinyModelPath(), { limits: { maxTokenizerArrayItems: 100 } });
    expect(verdict).toMatchObject({ ok: false, message: expect.stringMatching(/"tokenizer.ggml.tokens" says it is a list of \d+ items.*limit 100/) });
  });
});

describe('GGUF validator: valid models', () => {
  it('reads the facts of the tiny model', async () => {
    const path = tinyModelPath();
    const spec = tinyModelSpec();
    const verdict = await validateGguf(path);
    if (!verdict.ok) throw new Error(verdict.message);
    const info = await readGgufFileInfo(path, { logWarnings: false });
    const vocabulary = spec.metadata['tokenizer.ggml.tokens'];
    expect(verdict.facts).toEqual({
      version: 3,
      architecture: 'llama',
      name: 'Burrow tiny test model',
      parameterCount: spec.tensors.reduce((sum, tensor) => sum + tensor.dims.reduce((a, b) => a * b, 1), 0),
      quantization: 'F32',
      contextLength: 2048,
      layerCount: 2,
      embeddingLength: 32,
      headCount: 4,
      headCountKv: 4,
      vocabularySize: vocabulary?.type === 'array' ? vocabulary.values.length : -1,
      hasChatTemplate: true,
      tensorCount: spec.tensors.length,
      fileSize: statSync(path).size,
      // Where an independent reader (node-llama-cpp's) finds the first tensor's data.
      dataOffset: Number(info.tensorInfo?.[0]?.fileOffset),
    });
  });

  it('names the quantisation from general.file_type, and falls back to the file name without general.name', async () => {
    const q8 = await validateGguf(writeTinyModel(join(dir, 'q8.gguf'), { weightType: 'Q8_0' }));
    expect(q8).toMatchObject({ ok: true, facts: { quantization: 'Q8_0' } });

    const spec = tinyModelSpec({ weightType: 'Q4_0' });
    const { 'general.name': _name, 'general.file_type': _fileType, 'tokenizer.chat_template': _template, ...metadata } = spec.metadata;
    const bare = join(dir, 'Bare-Model.Q4_0.gguf');
    writeGgufFile(bare, { ...spec, metadata, alignment: 64 });
    const verdict = await validateGguf(bare);
    // Without general.file_type, the type holding the most elements names it.
    expect(verdict).toMatchObject({ ok: true, facts: { name: 'Bare-Model.Q4_0', quantization: 'Q4_0', hasChatTemplate: false } });
    if (verdict.ok) expect(verdict.facts.dataOffset % 64).toBe(0);
  });

  it('refuses a well-formed file with nothing loadable in it: no tensors, or no vocabulary', async () => {
    const spec = tinyModelSpec();
    const noTensors = join(dir, 'no-tensors.gguf');
    writeGgufFile(noTensors, { ...spec, tensors: [] });
    expect(await validateGguf(noTensors)).toMatchObject({ ok: false, code: 'model_invalid', message: expect.stringContaining('has no tensors (weights)') });

    const { 'tokenizer.ggml.tokens': _tokens, ...metadata } = spec.metadata;
    const noVocabulary = join(dir, 'no-vocabulary.gguf');
    writeGgufFile(noVocabulary, { ...spec, metadata });
    expect(await validateGguf(noVocabulary)).toMatchObject({ ok: false, code: 'model_invalid', message: expect.stringContaining('no vocabulary') });

    const emptyVocabulary = join(dir, 'empty-vocabulary.gguf');
    writeGgufFile(emptyVocabulary, { ...spec, metadata: { ...metadata, 'tokenizer.ggml.tokens': gguf.array('string', []) } });
    expect(await validateGguf(emptyVocabulary)).toMatchObject({ ok: false, message: expect.stringContaining('no vocabulary') });
  });

  it('does not show control characters from the file', async () => {
    const spec = tinyModelSpec({ name: 'evil\u001b[2J\u202ename' });
    const path = join(dir, 'evil.gguf');
    writeGgufFile(path, spec);
    const verdict = await validateGguf(path);
    expect(verdict).toMatchObject({ ok: true, facts: { name: 'evil\uFFFD[2J\uFFFDname' } });
  });
});
