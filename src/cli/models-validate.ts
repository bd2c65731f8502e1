/**
 * `burrow models validate FILE [--json]`: runs the bounded GGUF validator on a file and prints
 * the verdict, and the model's facts when it is valid. Exit code 0 when valid, 1 when not (or
 * when the file cannot be read), 2 for a usage error. The verdict goes to stdout either way:
 * it is the command's answer, not a failure of the command.
 */
import { resolve } from 'node:path';
import type { ErrorCode } from '../shared/errors';
import { formatBytes } from '../shared/format-bytes';
import { printable } from '../core/gguf/gguf-parse';
import { validateGguf, type GgufFacts } from '../core/gguf/gguf-validator';

export interface ModelsValidateOptions {
  json: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export async function modelsValidate(args: readonly string[], options: ModelsValidateOptions): Promise<number> {
  const [file, ...extra] = args;
  if (file === undefined || extra.length > 0) {
    options.stderr.write('Usage: burrow models validate FILE.gguf [--json]\n');
    return 2;
  }
  const path = resolve(file);
  let verdict;
  try {
    verdict = await validateGguf(path);
  } catch (error) {
    const { code, message } = unreadable(path, error);
    if (options.json) options.stdout.write(`${JSON.stringify({ ok: false, path, code, message })}\n`);
    else options.stderr.write(`burrow models validate: ${message}\n`);
    return 1;
  }
  if (options.json) {
    options.stdout.write(`${JSON.stringify({ path, ...verdict })}\n`);
  } else if (verdict.ok) {
    options.stdout.write(`Valid GGUF model: ${printable(path, 200)}\n${describeFacts(verdict.facts)}\n`);
  } else {
    options.stdout.write(`Not a usable model: ${printable(path, 200)}\n  ${verdict.message}\n`);
  }
  return verdict.ok ? 0 : 1;
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
