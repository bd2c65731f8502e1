/**
 * LoRA adapters on the command line, as a user runs it (a real process, the real core and engine,
 * the suite's tiny model and rabbit adapter): `ask --lora FILE[:SCALE]` changes the answer and
 * scale 0 gives the base one, bad scales are usage errors, an adapter for another model is
 * refused with the reason, `models adapters` lists what was used, and `models validate` reports
 * an adapter's kind, rank and whether it fits a base model.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLoraArg } from '../../src/cli/adapters';
import { runCli, type CliRun } from '../support/cli';
import { tinyLoraPath, writeTinyLora } from '../support/tiny-lora';
import { tinyModelPath } from '../support/tiny-model';

let dataDir: string;
const model = tinyModelPath();
const adapter = tinyLoraPath();

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'burrow-cli-lora-'));
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

function burrow(args: string[]): Promise<CliRun> {
  return runCli(args, { dataDir });
}

describe('burrow ask --lora', () => {
  it('answers with the adapter, and with the base model at scale 0', async () => {
    const base = await burrow(['ask', '--model', model, 'Tell me about the burrow.']);
    expect(base.code).toBe(0);
    const steered = await burrow(['ask', '--model', model, '--lora', adapter, 'Tell me about the burrow.']);
    expect(steered.code).toBe(0);
    expect(steered.stdout).toMatch(/rabbit rabbit rabbit/);
    expect(steered.stdout).not.toBe(base.stdout);
    const off = await burrow(['ask', '--model', model, '--lora', `${adapter}:0`, 'Tell me about the burrow.']);
    expect(off.stdout).toBe(base.stdout);
  }, 120_000);

  it('refuses a scale outside 0..2 as a usage error, and an adapter for another model with the reason', async () => {
    const tooStrong = await burrow(['ask', '--model', model, '--lora', `${adapter}:2.5`, 'hi']);
    expect(tooStrong.code).toBe(2);
    expect(tooStrong.stderr).toMatch(/the scale must be between 0 and 2/);
    const wide = writeTinyLora(join(dataDir, 'wide.gguf'), { dims: 64 });
    const refused = await burrow(['ask', '--model', model, '--lora', wide, 'hi']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/64-wide layers.*the model "Burrow tiny test model" is llama, 32-wide, 2 layers/);
  }, 60_000);

  it('models adapters lists the adapters used with a model', async () => {
    await burrow(['ask', '--model', model, '--lora', adapter, 'hi']);
    const listed = await burrow(['models', 'adapters', model]);
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/rabbit-adapter {2}\(rank 1, alpha 1, llama, .*\) {2}\[fits\]/);
    const json = await burrow(['models', 'adapters', model, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject([{ name: 'rabbit-adapter', rank: 1, fits: true }]);
  }, 90_000);
});

describe('burrow models validate on an adapter', () => {
  it('reports the kind, rank and whether it fits a base model', async () => {
    const alone = await burrow(['models', 'validate', adapter]);
    expect(alone.code).toBe(0);
    expect(alone.stdout).toMatch(/^Valid LoRA adapter: /);
    expect(alone.stdout).toMatch(/Kind\s+LoRA adapter/);
    expect(alone.stdout).toMatch(/Rank\s+1\n/);
    expect(alone.stdout).toMatch(/Made for\s+llama, 32-wide, at least 2 layers/);
    expect(alone.stdout).toMatch(/Fits\s+give --model BASE.gguf/);

    const fits = await burrow(['models', 'validate', adapter, '--model', model]);
    expect(fits.code).toBe(0);
    expect(fits.stdout).toMatch(/Fits\s+yes/);

    const wide = writeTinyLora(join(dataDir, 'wide-2.gguf'), { dims: 64 });
    const json = await burrow(['models', 'validate', wide, '--model', model, '--json']);
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: true, kind: 'adapter', facts: { rank: 1, embeddingLength: 64 }, fits: false, problem: expect.stringMatching(/64-wide/) });
  }, 60_000);
});

describe('parseLoraArg', () => {
  it('reads FILE and FILE:SCALE, keeping a colon that is part of the path', () => {
    expect(parseLoraArg('/a/b.gguf')).toEqual({ path: '/a/b.gguf', scale: 1 });
    expect(parseLoraArg('/a/b.gguf:0.5')).toEqual({ path: '/a/b.gguf', scale: 0.5 });
    expect(parseLoraArg('/a:b/c.gguf')).toEqual({ path: '/a:b/c.gguf', scale: 1 });
    expect(() => parseLoraArg('/a/b.gguf:-1')).toThrow(/between 0 and 2/);
    expect(() => parseLoraArg('')).toThrow(/give the adapter file/);
  });
});
