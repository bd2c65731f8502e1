/** `burrow models validate` as a user runs it: a real process on the suite's tiny model and on a broken copy. */
import { copyFileSync, mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeGgufFile } from '../support/gguf-writer';
import { tinyModelPath, tinyModelSpec } from '../support/tiny-model';
import { runCli, type CliRun } from '../support/cli';

let dir: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'burrow-cli-validate-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function burrow(args: string[]): Promise<CliRun> {
  return runCli(args, { dataDir: dir });
}

function halfOfTinyModel(): string {
  const path = join(dir, 'half.gguf');
  copyFileSync(tinyModelPath(), path);
  truncateSync(path, Math.floor(statSync(path).size / 2));
  return path;
}

describe('burrow models validate', () => {
  it('prints the facts of a valid model and exits 0', async () => {
    const result = await burrow(['models', 'validate', tinyModelPath()]);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^Valid GGUF model: /);
    expect(result.stdout).toMatch(/Name\s+Burrow tiny test model/);
    expect(result.stdout).toMatch(/Architecture\s+llama/);
    expect(result.stdout).toMatch(/Parameters\s+\d+(\.\d)?K/);
    expect(result.stdout).toMatch(/Quantisation\s+F32/);
    expect(result.stdout).toMatch(/Context length\s+2,048 tokens/);
    expect(result.stdout).toMatch(/Layers\s+2/);
    expect(result.stdout).toMatch(/Size\s+\d+(\.\d)? kB/);
    expect(result.stdout).toMatch(/Chat template\s+yes/);
  });

  it('says why a truncated model is not usable and exits 1; --json gives the verdict as one object', async () => {
    const path = halfOfTinyModel();
    const text = await burrow(['models', 'validate', path]);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/Not a usable model: .*half\.gguf\n\s+This model file is cut short/);

    const json = await burrow(['models', 'validate', '--json', path]);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, code: 'model_invalid', path, message: expect.stringMatching(/cut short/) });

    const valid = await burrow(['models', 'validate', tinyModelPath(), '--json']);
    expect(valid.code).toBe(0);
    expect(JSON.parse(valid.stdout)).toMatchObject({ ok: true, facts: { architecture: 'llama', layerCount: 2, hasChatTemplate: true } });
  });

  it('refuses a well-formed GGUF with no vocabulary in it, rather than calling it valid', async () => {
    const { 'tokenizer.ggml.tokens': _tokens, ...metadata } = tinyModelSpec().metadata;
    const path = join(dir, 'no-vocabulary.gguf');
    writeGgufFile(path, { ...tinyModelSpec(), metadata });
    const result = await burrow(['models', 'validate', path]);
    expect(result.code).toBe(1);
    expect(result.stdout).toContain('Not a usable model: ');
    expect(result.stdout).toContain('The model file has no vocabulary (tokenizer.ggml.tokens is missing or empty), so it cannot read or write text.');
  });

  it('reports a missing file on stderr and a missing argument as a usage error', async () => {
    const missing = await burrow(['models', 'validate', join(dir, 'gone.gguf')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/gone\.gguf does not exist/);
    const usage = await burrow(['models', 'validate']);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/Usage: burrow models validate FILE/);
  });
});
