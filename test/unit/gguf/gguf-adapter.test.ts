/**
 * The validator's adapter kind: the facts of a LoRA adapter, the fit check against a base model
 * by tensor shapes, and every refusal (wrong architecture, wrong shapes, truncated, a model as an
 * adapter and an adapter as a model, absurd counts, broken pairs), each within the time bound.
 */
import { copyFileSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkAdapterFits, inspectGguf, validateAdapter, validateGguf, validateGgufWithShapes, type AdapterFacts } from '../../../src/core/gguf/gguf-validator';
import { checkModelFile } from '../../../src/core/gguf/gguf-check';
import { gguf, rawGguf, writeGgufFile } from '../../support/gguf-writer';
import { tinyLoraPath, tinyLoraSpec, writeTinyLora } from '../../support/tiny-lora';
import { tinyModelPath, writeTinyModel } from '../../support/tiny-model';

const dir = mkdtempSync(join(tmpdir(), 'burrow-gguf-adapter-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function adapterFacts(path: string): Promise<AdapterFacts> {
  const verdict = await validateAdapter(path);
  if (!verdict.ok) throw new Error(verdict.message);
  return verdict.facts;
}

async function fits(adapterPath: string, modelPath = tinyModelPath()): Promise<string | null> {
  const model = await validateGgufWithShapes(modelPath);
  if (!model.ok) throw new Error(model.message);
  return checkAdapterFits(await adapterFacts(adapterPath), { ...model.facts, shapes: model.shapes });
}

describe('adapter facts', () => {
  it('reads name, architecture, rank, alpha, counts, size and the base it implies', async () => {
    const path = tinyLoraPath();
    expect(await adapterFacts(path)).toMatchObject({
      kind: 'lora',
      name: 'rabbit-adapter',
      architecture: 'llama',
      rank: 1,
      alpha: 1,
      pairCount: 3,
      tensorCount: 6,
      fileSize: statSync(path).size,
      embeddingLength: 32,
      layerCount: 2,
      vocabularySize: 436,
    });
  });

  it('takes the rank from the shapes, leaves alpha null when absent, and names it after the file without general.name', async () => {
    const spec = tinyLoraSpec({ rank: 4, alpha: null });
    const { 'general.name': _name, ...metadata } = spec.metadata;
    const path = join(dir, 'My-Adapter.gguf');
    writeGgufFile(path, { ...spec, metadata });
    expect(await adapterFacts(path)).toMatchObject({ name: 'My-Adapter', rank: 4, alpha: null });
  });

  it('inspectGguf tells the kinds apart', async () => {
    expect(await inspectGguf(tinyLoraPath())).toMatchObject({ ok: true, kind: 'adapter', facts: { rank: 1 } });
    expect(await inspectGguf(tinyModelPath())).toMatchObject({ ok: true, kind: 'model', facts: { layerCount: 2 } });
  });
});

describe('adapter fit', () => {
  it('fits the model it was made for', async () => {
    expect(await fits(tinyLoraPath())).toBeNull();
  });

  it('refuses another architecture, naming both', async () => {
    const message = await fits(writeTinyLora(join(dir, 'qwen.gguf'), { architecture: 'qwen2' }));
    expect(message).toMatch(/This adapter \("rabbit-adapter"\) is for a qwen2 model with 32-wide layers \(at least 2 layers\); the model "Burrow tiny test model" is llama, 32-wide, 2 layers\./);
  });

  it('refuses another size, naming both', async () => {
    const wide = await fits(writeTinyLora(join(dir, 'wide.gguf'), { dims: 64 }));
    expect(wide).toMatch(/is for a llama model with 64-wide layers \(at least 2 layers\); the model "Burrow tiny test model" is llama, 32-wide, 2 layers \("output.weight" is 32×436 in the model, the adapter expects 64×436\)/);
    const deep = await fits(writeTinyLora(join(dir, 'deep.gguf'), { layers: 22 }));
    expect(deep).toMatch(/with 32-wide layers \(at least 22 layers\); the model .* is llama, 32-wide, 2 layers \(the model has no tensor "blk.2.attn_q.weight"\)/);
  });

  it('refuses a model of the same architecture but another size', async () => {
    const bigger = writeTinyModel(join(dir, 'bigger.gguf'), { dims: 64, name: 'Bigger' });
    expect(await fits(tinyLoraPath(), bigger)).toMatch(/for a llama model with 32-wide layers .*; the model "Bigger" is llama, 64-wide, 2 layers/);
  });
});

const timed = async <T>(run: () => Promise<T>): Promise<T> => {
  const started = performance.now();
  const result = await run();
  expect(performance.now() - started).toBeLessThan(2000);
  return result;
};

function adapterFile(name: string, metadata: Record<string, ReturnType<typeof gguf.str>>, tensors: ReturnType<typeof tinyLoraSpec>['tensors']): string {
  const path = join(dir, name);
  writeGgufFile(path, { metadata, tensors });
  return path;
}

const loraMeta = { 'general.type': gguf.str('adapter'), 'general.architecture': gguf.str('llama'), 'adapter.type': gguf.str('lora') };
const t = (name: string, dims: number[]): ReturnType<typeof tinyLoraSpec>['tensors'][number] => ({ name, dims, type: 'F32', data: new Float32Array(dims.reduce((a, b) => a * b, 1)) });

describe('adapter refusals', () => {
  const cases: Array<{ name: string; make: () => string; expected: RegExp }> = [
    { name: 'a model passed as an adapter', make: () => tinyModelPath(), expected: /This is a model, not an adapter — add it under Models\./ },
    {
      name: 'truncated',
      make: () => {
        const path = join(dir, 'half.gguf');
        copyFileSync(tinyLoraPath(), path);
        truncateSync(path, Math.floor(statSync(path).size / 2));
        return path;
      },
      expected: /This adapter file is cut short/,
    },
    {
      name: 'absurd tensor count',
      make: () => {
        const path = join(dir, 'many.gguf');
        writeFileSync(path, Buffer.concat([rawGguf.header({ tensorCount: 2n ** 40n, metadataCount: 1 }), rawGguf.value('general.type', gguf.str('adapter'))]));
        return path;
      },
      expected: /The adapter file says it has 1099511627776 tensors, more than any real adapter/,
    },
    { name: 'not a LoRA adapter', make: () => adapterFile('cvec.gguf', { ...loraMeta, 'adapter.type': gguf.str('control_vector') }, tinyLoraSpec().tensors), expected: /"control_vector" adapter; Burrow loads LoRA adapters only/ },
    {
      name: 'no adapter.type',
      make: () => adapterFile('untyped.gguf', { 'general.type': gguf.str('adapter'), 'general.architecture': gguf.str('llama') }, tinyLoraSpec().tensors),
      expected: /adapter.type is missing/,
    },
    { name: 'no architecture', make: () => adapterFile('noarch.gguf', { 'general.type': gguf.str('adapter'), 'adapter.type': gguf.str('lora') }, tinyLoraSpec().tensors), expected: /general.architecture is missing/ },
    { name: 'a half without its pair', make: () => adapterFile('half-pair.gguf', loraMeta, [t('output.weight.lora_a', [32, 1])]), expected: /pair for "output.weight" is missing its lora_b half/ },
    { name: 'ranks that differ', make: () => adapterFile('rank.gguf', loraMeta, [t('output.weight.lora_a', [32, 2]), t('output.weight.lora_b', [3, 436])]), expected: /does not fit together .* the ranks differ/ },
    { name: 'a stray tensor', make: () => adapterFile('stray.gguf', loraMeta, [t('output.weight', [32, 4])]), expected: /tensor "output.weight" that is not part of a LoRA pair/ },
    { name: 'a 3-D LoRA tensor', make: () => adapterFile('cube.gguf', loraMeta, [t('output.weight.lora_a', [32, 1, 2]), t('output.weight.lora_b', [1, 436])]), expected: /has 3 dimensions; LoRA tensors are matrices/ },
    { name: 'an absurd layer number', make: () => adapterFile('layer.gguf', loraMeta, [t('blk.999999.attn_q.weight.lora_a', [32, 1]), t('blk.999999.attn_q.weight.lora_b', [1, 32])]), expected: /names layer 999999, more than any real model has/ },
  ];

  it.each(cases)('refuses $name with its own message, quickly', async ({ make, expected }) => {
    const path = make();
    const verdict = await timed(() => validateAdapter(path));
    expect(verdict).toMatchObject({ ok: false, code: 'model_invalid', message: expect.stringMatching(expected) });
  });

  it('refuses an adapter passed as a model, naming where adapters go (validator, engine check, CLI inspection)', async () => {
    const verdict = await timed(() => validateGguf(tinyLoraPath()));
    expect(verdict).toMatchObject({ ok: false, message: expect.stringMatching(/This is a LoRA adapter, not a model.*Add it under Models → the base model → Adapters/) });
    await expect(checkModelFile(tinyLoraPath())).rejects.toMatchObject({ code: 'model_invalid', message: expect.stringMatching(/LoRA adapter, not a model/) });
  });
});
