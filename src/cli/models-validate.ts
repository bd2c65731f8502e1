/**
 * `burrow models validate FILE [--model BASE] [--json]`: runs the bounded GGUF validator on a file
 * and prints the verdict, and the facts when it is valid: a model's, or a LoRA adapter's (kind,
 * rank, alpha, the base it implies, and with --model whether it fits that base model). Exit code 0
 * when valid (and fitting, when a base was given), 1 when not (or when a file cannot be read), 2
 * for a usage error. The verdict goes to stdout either way: it is the command's answer, not a
 * failure of the command.
 */
import { resolve } from 'node:path';
import type { ErrorCode } from '../shared/errors';
import { formatBytes } from '../shared/format-bytes';
import { printable } from '../core/gguf/gguf-parse';
import { checkAdapterFits, inspectGguf, validateGgufWithShapes, type AdapterFacts, type GgufFacts } from '../core/gguf/gguf-validator';

export interface ModelsValidateOptions {
  json: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** --model: the base model an adapter is checked against. */
  model?: string;
}

export async function modelsValidate(args: readonly string[], options: ModelsValidateOptions): Promise<number> {
  const [file, ...extra] = args;
  if (file === undefined || extra.length > 0) {
    options.stderr.write('Usage: burrow models validate FILE.gguf [--model BASE.gguf] [--json]\n');
    return 2;
  }
  const path = resolve(file);
  let verdict;
  try {
    verdict = await inspectGguf(path);
  } catch (error) {
    const { code, message } = unreadable(path, error);
    if (options.json) options.stdout.write(`${JSON.stringify({ ok: false, path, code, message })}\n`);
    else options.stderr.write(`burrow models validate: ${message}\n`);
    return 1;
  }
  if (verdict.ok && verdict.kind === 'adapter') return reportAdapter(path, verdict.facts, options);
  if (options.json) {
    options.stdout.write(`${JSON.stringify({ path, ...verdict })}\n`);
  } else if (verdict.ok) {
    options.stdout.write(`Valid GGUF model: ${printable(path, 200)}\n${describeFacts(verdict.facts)}\n`);
  } else {
    options.stdout.write(`Not a usable model: ${printable(path, 200)}\n  ${verdict.message}\n`);
  }
  return verdict.ok ? 0 : 1;
}

/** An adapter's facts, and whether it fits the base model given with --model. */
async function reportAdapter(path: string, facts: AdapterFacts, options: ModelsValidateOptions): Promise<number> {
  let fit: { fits: boolean; base: string; problem: string | null } | null = null;
  if (options.model !== undefined) {
    const base = resolve(options.model);
    let model;
    try {
      model = await validateGgufWithShapes(base);
    } catch (error) {
      const { message } = unreadable(base, error);
      options.stderr.write(`burrow models validate: ${message}\n`);
      return 1;
    }
    const problem = model.ok ? checkAdapterFits(facts, { ...model.facts, shapes: model.shapes }) : `The base model cannot be used: ${model.message}`;
    fit = { fits: problem === null, base, problem };
  }
  const { pairs: _pairs, ...shown } = facts;
  if (options.json) {
    options.stdout.write(`${JSON.stringify({ path, ok: true, kind: 'adapter', facts: shown, ...(fit === null ? {} : { base: fit.base, fits: fit.fits, ...(fit.problem === null ? {} : { problem: fit.problem }) }) })}\n`);
  } else {
    const base = [facts.architecture, facts.embeddingLength === null ? null : `${facts.embeddingLength}-wide`, facts.layerCount === null ? null : `at least ${facts.layerCount} layers`].filter((part) => part !== null).join(', ');
    const rows: Array<[string, string]> = [
      ['Kind', 'LoRA adapter'],
      ['Name', facts.name],
      ['Made for', base],
      ['Rank', String(facts.rank)],
      ['Alpha', facts.alpha === null ? 'not stated' : String(facts.alpha)],
      ['Changes', `${facts.pairCount} ${facts.pairCount === 1 ? 'tensor' : 'tensors'} of the model`],
      ['Size', formatBytes(facts.fileSize)],
      ['Fits', fit === null ? 'give --model BASE.gguf to check a base model' : fit.fits ? `yes, ${printable(fit.base, 200)}` : `no: ${fit.problem ?? ''}`],
    ];
    options.stdout.write(`Valid LoRA adapter: ${printable(path, 200)}\n${rows.map(([label, value]) => `  ${label.padEnd(15)} ${value}`).join('\n')}\n`);
  }
  return fit === null || fit.fits ? 0 : 1;
}

function describeFacts(facts: GgufFacts): string {
  const rows: Array<[string, string]> = [
    ['Name', facts.name],
    ['Architecture', facts.architecture],
    ['Parameters', shortCount(facts.parameterCount)],
    ['Quantisation', facts.quantization],
    ['Context length', facts.contextLength === null ? 'not stated' : `${facts.contextLength.toLocaleString('en-US')} tokens`],
    ['Layers', facts.layerCount === null ? 'not stated' : String(facts.layerCount)],
    ['Size', formatBytes(facts.fileSize)],
    ['Chat template', facts.hasChatTemplate ? 'yes' : 'no'],
  ];
  return rows.map(([label, value]) => `  ${label.padEnd(15)} ${value}`).join('\n');
}

/** 1_100_048_384 → "1.1B", as model cards write it. */
export function shortCount(n: number): string {
  for (const [scale, suffix] of [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']] as const) {
    if (n >= scale) return `${(n / scale).toFixed(1)}${suffix}`;
  }
  return String(n);
}

/** Decimal units, as download pages write them ("about 670 MB"). */

function unreadable(path: string, error: unknown): { code: ErrorCode; message: string } {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOENT') return { code: 'not_found', message: `${path} does not exist.` };
  if (code === 'EACCES' || code === 'EPERM') return { code: 'refused', message: `Burrow is not allowed to read ${path}.` };
  return { code: 'model_load_failed', message: `Burrow could not read ${path}: ${error instanceof Error ? error.message : String(error)}` };
}
