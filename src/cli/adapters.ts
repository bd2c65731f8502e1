/**
 * LoRA adapters on the command line. `burrow ask --lora FILE[:SCALE]` (repeatable; also `chat`)
 * answers with those adapters: each is handed over as the user's own file, added to the model's
 * adapters (validated, and refused with the reason when it does not fit) and set for the new
 * conversation. `burrow models adapters [MODEL]` lists a model's adapters.
 */
import { resolve } from 'node:path';
import type { Assistant } from '../core/assistant';
import type { Client } from '../shared/client';
import type { AdapterChoice, LibraryAdapter } from '../shared/contract';
import { BurrowError } from '../shared/errors';
import { formatBytes } from '../shared/format-bytes';
import { DEFAULT_ADAPTER_SCALE, MAX_ADAPTER_SCALE, MAX_ADAPTERS } from '../shared/limits';

/** "FILE", "FILE:0.5" → path and scale. A colon not followed by a number belongs to the path (C:\…). */
export function parseLoraArg(arg: string): AdapterChoice {
  const colon = arg.lastIndexOf(':');
  const tail = colon > 0 ? arg.slice(colon + 1) : '';
  const isScale = /^[+-]?(\d+\.?\d*|\.\d+)$/.test(tail);
  const path = isScale ? arg.slice(0, colon) : arg;
  const scale = isScale ? Number(tail) : DEFAULT_ADAPTER_SCALE;
  if (path === '') throw new BurrowError('invalid_input', `--lora ${arg}: give the adapter file, for example --lora my-adapter.gguf:0.8`);
  if (!(scale >= 0 && scale <= MAX_ADAPTER_SCALE)) throw new BurrowError('invalid_input', `--lora ${arg}: the scale must be between 0 and ${MAX_ADAPTER_SCALE} (1 is the adapter as trained).`);
  return { path: resolve(path), scale };
}

export function parseLoraArgs(args: readonly string[] | undefined): AdapterChoice[] {
  const choices = (args ?? []).map(parseLoraArg);
  if (choices.length > MAX_ADAPTERS) throw new BurrowError('invalid_input', `At most ${MAX_ADAPTERS} adapters at once.`);
  return choices;
}

/** Adds the adapters to the model answering and sets them for the conversation. */
export async function applyCliAdapters(assistant: Assistant, client: Client, modelPath: string, conversationId: string, choices: readonly AdapterChoice[]): Promise<void> {
  if (choices.length === 0) return;
  const applied: AdapterChoice[] = [];
  for (const choice of choices) {
    const added = await client.call('models.addAdapter', { modelPath, path: assistant.grantAdapter(choice.path) });
    if (applied.some((other) => other.path === added.path)) throw new BurrowError('invalid_input', `--lora names ${added.fileName} twice.`);
    applied.push({ path: added.path, scale: choice.scale });
  }
  await client.call('conversations.setAdapters', { id: conversationId, adapters: applied });
}

export interface AdaptersIo {
  json: boolean;
  stdout: NodeJS.WritableStream;
}

/** `burrow models adapters [MODEL]`: the adapters of MODEL (default: the default model). */
export async function modelsAdapters(client: Client, model: string | undefined, io: AdaptersIo): Promise<number> {
  const modelPath = model ?? (await defaultModelPath(client));
  if (modelPath === null) throw new BurrowError('no_model', 'Name the base model: burrow models adapters MODEL.gguf (there is no default model yet).');
  const adapters = await client.call('models.adapters', { modelPath: resolve(modelPath) });
  if (io.json) {
    io.stdout.write(`${JSON.stringify(adapters)}\n`);
    return 0;
  }
  if (adapters.length === 0) {
    io.stdout.write(`No adapters for ${modelPath} yet. Use one with: burrow ask --model ${modelPath} --lora ADAPTER.gguf "…" (it is then listed here), or add it in the app under Models.\n`);
    return 0;
  }
  for (const adapter of adapters) io.stdout.write(`${describeAdapter(adapter)}\n`);
  return 0;
}

function describeAdapter(adapter: LibraryAdapter): string {
  const facts = [adapter.rank === null ? null : `rank ${adapter.rank}`, adapter.alpha === null ? null : `alpha ${adapter.alpha}`, adapter.baseArchitecture, adapter.fileMissing ? 'file missing' : formatBytes(adapter.size)].filter((fact) => fact !== null);
  const marks = [adapter.fits ? 'fits' : 'does not fit', adapter.defaultScale === null ? null : `default, scale ${adapter.defaultScale}`].filter((mark) => mark !== null);
  return `${adapter.name}  (${facts.join(', ')})  [${marks.join(', ')}]\n  ${adapter.path}${adapter.problem === undefined ? '' : `\n  ${adapter.problem}`}`;
}

async function defaultModelPath(client: Client): Promise<string | null> {
  const { models } = await client.call('models.list', {});
  return models.find((entry) => entry.isDefault)?.path ?? null;
}
