/**
 * The bounded GGUF validator. Model files are untrusted input: this runs before llama.cpp ever
 * sees one (in the engine process before loading, and when a model is imported) and rejects a
 * malformed or hostile file with a plain-language reason instead of letting it crash or exhaust
 * the engine. It reads only the header, through a fixed 64 KiB buffer, and checks every count,
 * length and offset against caps and the file size before using it.
 *
 * Written by hand rather than with node-llama-cpp's readGgufFileInfo or @huggingface/gguf: both
 * parse the whole metadata into objects (a 2^40-entry header or a 2^62-byte string is their
 * problem to survive, not ours to hope for), and neither checks tensor layout against the file.
 */
import { constants } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { basename } from 'node:path';
import { DEFAULT_GGUF_LIMITS, FILE_TYPE_NAMES, GGML_TYPES, GgufValueType, type GgufLimits } from './gguf-format';
import { describeAdapter, isAdapter, shapeMap, type AdapterFacts, type AdapterVerdict } from './gguf-adapter';
import { countOf, parseGguf, printable, type KeptValue, type ParsedGguf } from './gguf-parse';
import { BoundedReader, GgufRejection } from './gguf-reader';

export type { GgufLimits } from './gguf-format';
export { DEFAULT_GGUF_LIMITS } from './gguf-format';
export type { AdapterFacts, AdapterVerdict } from './gguf-adapter';
export { checkAdapterFits } from './gguf-adapter';

/** What a valid model file says about itself. Counts the file does not state are null. */
export interface GgufFacts {
  /** GGUF format version: 2 or 3. */
  version: number;
  /** general.architecture, e.g. 'llama'. */
  architecture: string;
  /** general.name, or the file name without .gguf. */
  name: string;
  /** Sum of all tensors' element counts. */
  parameterCount: number;
  /** From general.file_type (e.g. 'Q4_K_M'), else the tensor type holding the most elements. */
  quantization: string;
  contextLength: number | null;
  layerCount: number | null;
  embeddingLength: number | null;
  headCount: number | null;
  headCountKv: number | null;
  vocabularySize: number | null;
  hasChatTemplate: boolean;
  tensorCount: number;
  fileSize: number;
  /** Where the tensor data starts in the file. */
  dataOffset: number;
}

/** `adapter`: the file is a valid-looking LoRA adapter, refused only because a model was asked for. */
export type GgufVerdict = { ok: true; facts: GgufFacts } | { ok: false; code: 'model_invalid'; message: string; adapter?: true };

export interface ValidateGgufOptions {
  /** Overrides for the caps; the defaults (DEFAULT_GGUF_LIMITS) suit every real model. */
  limits?: Partial<GgufLimits>;
}

/** Where adapters go in the app, for messages that send the user there. */
export const ADAPTERS_PLACE = 'Models → the base model → Adapters';
const ADAPTER_NOT_MODEL = `This is a LoRA adapter, not a model: it changes a base model and cannot run on its own. Add it under ${ADAPTERS_PLACE}.`;

/**
 * Checks a GGUF model file without loading it. Resolves with a verdict for anything about the
 * file's content (including "not a file", and "this is an adapter"); rejects only when the file
 * cannot be read at all (missing, no permission: the Node error, with its `code`).
 */
export async function validateGguf(path: string, options: ValidateGgufOptions = {}): Promise<GgufVerdict> {
  const read = await readGguf(path, options, 'model');
  if (!read.ok) return read;
  return validateParsed(read);
}

/** A model's tensor shapes by name (ggml order), for checking an adapter against it. */
export type TensorShapeMap = ReadonlyMap<string, readonly number[]>;

export type GgufModelDetails = { ok: true; facts: GgufFacts; shapes: TensorShapeMap } | { ok: false; code: 'model_invalid'; message: string };

/** validateGguf, plus the model's tensor shapes (bounded by the tensor cap). */
export async function validateGgufWithShapes(path: string, options: ValidateGgufOptions = {}): Promise<GgufModelDetails> {
  const read = await readGguf(path, options, 'model');
  if (!read.ok) return read;
  const verdict = validateParsed(read);
  return verdict.ok ? { ...verdict, shapes: shapeMap(read.parsed.tensors) } : verdict;
}

function validateParsed(read: Extract<ReadResult, { ok: true }>): GgufVerdict {
  try {
    if (isAdapter(read.parsed)) return { ...invalid(ADAPTER_NOT_MODEL), adapter: true };
    return { ok: true, facts: describe(read.parsed, read.fileName, read.size, read.limits) };
  } catch (error) {
    if (error instanceof GgufRejection) return invalid(error.message);
    throw error;
  }
}

/** Checks a LoRA adapter file without loading it (same bounds and error rules as validateGguf). */
export async function validateAdapter(path: string, options: ValidateGgufOptions = {}): Promise<AdapterVerdict> {
  const read = await readGguf(path, options, 'adapter');
  if (!read.ok) return read;
  try {
    return { ok: true, facts: describeAdapter(read.parsed, read.fileName, read.size, read.limits) };
  } catch (error) {
    if (error instanceof GgufRejection) return invalid(error.message);
    throw error;
  }
}

/** Either kind of GGUF file, for `burrow models validate`. */
export type GgufInspection =
  | { ok: true; kind: 'model'; facts: GgufFacts }
  | { ok: true; kind: 'adapter'; facts: AdapterFacts }
  | { ok: false; code: 'model_invalid'; message: string };

export async function inspectGguf(path: string, options: ValidateGgufOptions = {}): Promise<GgufInspection> {
  const read = await readGguf(path, options, 'model');
  if (!read.ok) return read;
  try {
    if (isAdapter(read.parsed)) return { ok: true, kind: 'adapter', facts: describeAdapter(read.parsed, read.fileName, read.size, read.limits) };
    return { ok: true, kind: 'model', facts: describe(read.parsed, read.fileName, read.size, read.limits) };
  } catch (error) {
    if (error instanceof GgufRejection) return invalid(error.message);
    throw error;
  }
}

type ReadResult = { ok: true; parsed: ParsedGguf; fileName: string; size: number; limits: GgufLimits } | { ok: false; code: 'model_invalid'; message: string };

async function readGguf(path: string, options: ValidateGgufOptions, expected: 'model' | 'adapter'): Promise<ReadResult> {
  const limits = { ...DEFAULT_GGUF_LIMITS, ...options.limits };
  const fileName = basename(path);
  const what = expected === 'model' ? 'model' : 'adapter';
  const notAFile = invalid(`This is not ${expected === 'model' ? 'a model' : 'an adapter'} file: "${printable(fileName)}" is a folder or a device. Choose a .gguf file.`);
  // Checked before opening, and opened non-blocking where the OS has it: opening a named pipe
  // for reading would otherwise wait for a writer forever.
  if (!(await stat(path)).isFile()) return notAFile;
  const handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  try {
    const facts = await handle.stat();
    if (!facts.isFile()) return notAFile; // swapped after the first check
    const { size } = facts;
    if (size === 0) return invalid(`This file is empty (0 bytes), so it is not ${expected === 'model' ? 'a model' : 'an adapter'}.`);
    const parsed = await parseGguf(new BoundedReader(handle, size), limits);
    return { ok: true, parsed, fileName, size, limits };
  } catch (error) {
    if (error instanceof GgufRejection) return invalid(what === 'model' ? error.message : asAdapterMessage(error.message));
    throw error;
  } finally {
    await handle.close();
  }
}

/** The parser speaks of models; a file added as an adapter is called one. */
function asAdapterMessage(message: string): string {
  return message
    .replace(/\bmodel file\b/g, 'adapter file')
    .replace(/\bGGUF model\b/g, 'GGUF adapter')
    .replace('download the model again', 'get the adapter again')
    .replace(/any real model\b/g, 'any real adapter');
}

function invalid(message: string): { ok: false; code: 'model_invalid'; message: string } {
  return { ok: false, code: 'model_invalid', message };
}

function describe(parsed: ParsedGguf, fileName: string, fileSize: number, limits: GgufLimits): GgufFacts {
  const { metadata } = parsed;
  const architectureValue = metadata.get('general.architecture');
  if (architectureValue?.type !== GgufValueType.string || architectureValue.value === '') {
    throw new GgufRejection('The model file does not say which model architecture it uses (general.architecture is missing). It is damaged or not a language model.');
  }
  const architecture = printable(String(architectureValue.value), 64);
  const archCount = (suffix: string): number | null => count(metadata.get(`${String(architectureValue.value)}.${suffix}`));

  const layerCount = archCount('block_count');
  if (layerCount !== null && layerCount > limits.maxLayers) {
    throw new GgufRejection(`The model file says it has ${layerCount} layers, more than any real model (limit ${limits.maxLayers}).`);
  }
  // Structurally valid is not enough (no tensors is refused by the parser): llama.cpp fails
  // later, with less to say, on a model that has nothing to read or write text with.
  if ((parsed.arrayLengths.get('tokenizer.ggml.tokens') ?? 0) === 0) {
    throw new GgufRejection('The model file has no vocabulary (tokenizer.ggml.tokens is missing or empty), so it cannot read or write text. It is damaged, or an adapter rather than a model.');
  }
  const nameValue = metadata.get('general.name');
  const name = nameValue?.type === GgufValueType.string && nameValue.value.toString().trim() !== '' ? nameValue.value.toString().trim() : fileName.replace(/\.gguf$/i, '');
  const template = metadata.get('tokenizer.chat_template');
  return {
    version: parsed.version,
    architecture,
    name: printable(name, 200),
    parameterCount: Number(parsed.parameterCount),
    quantization: quantization(parsed),
    contextLength: archCount('context_length'),
    layerCount,
    embeddingLength: archCount('embedding_length'),
    headCount: archCount('attention.head_count'),
    headCountKv: archCount('attention.head_count_kv'),
    vocabularySize: archCount('vocab_size') ?? parsed.arrayLengths.get('tokenizer.ggml.tokens') ?? null,
    hasChatTemplate: template?.type === GgufValueType.string && template.value !== '',
    tensorCount: parsed.tensorCount,
    fileSize,
    dataOffset: parsed.dataOffset,
  };
}

/** A metadata integer as a count, or null when absent, negative, fractional or too large. */
function count(kept: KeptValue | undefined): number | null {
  return countOf(kept);
}

function quantization(parsed: ParsedGguf): string {
  const fileType = count(parsed.metadata.get('general.file_type'));
  const named = fileType === null ? undefined : FILE_TYPE_NAMES.get(fileType);
  if (named !== undefined) return named;
  let dominant: number | undefined;
  let most = -1n;
  for (const [type, elements] of parsed.elementsByType) {
    if (elements > most) [dominant, most] = [type, elements];
  }
  return (dominant === undefined ? undefined : GGML_TYPES.get(dominant)?.name) ?? 'unknown';
}
