/**
 * `burrow models list`: the models on this computer (the library), the loaded and default ones
 * marked. `burrow models catalog`: the models Burrow can download, by the id `models pull` takes.
 */
import type { Client } from '../shared/client';
import { formatBytes } from '../shared/format-bytes';

export interface ModelsListIo {
  json: boolean;
  stdout: NodeJS.WritableStream;
}

export async function modelsList(client: Client, io: ModelsListIo): Promise<number> {
  const library = await client.call('models.list', {});
  if (io.json) {
    io.stdout.write(`${JSON.stringify(library.models)}\n`);
    return 0;
  }
  if (library.models.length === 0) {
    io.stdout.write(`No models on this computer yet. Download one with \`burrow models pull ID\` (\`burrow models catalog\` lists them), or pass a file with --model PATH.gguf.\nModels folder: ${library.modelsFolder}\n`);
    return 0;
  }
  for (const model of library.models) {
    const marks = [model.fileMissing ? 'file missing' : null, model.isLoaded ? 'loaded' : null, model.isDefault ? 'default' : null].filter((mark) => mark !== null);
    const facts = model.fileMissing ? 'file missing' : model.facts === null ? `cannot be loaded: ${model.problem ?? 'not a valid model'}` : `${model.facts.quantisation}, ${formatBytes(model.sizeBytes)}`;
    io.stdout.write(`${model.name}  (${facts})${marks.length > 0 ? `  [${marks.join(', ')}]` : ''}\n  ${model.path}\n`);
  }
  io.stdout.write(`Models folder: ${library.modelsFolder}\n`);
  return 0;
}

export async function modelsCatalog(client: Client, io: ModelsListIo): Promise<number> {
  const catalog = await client.call('models.catalog', {});
  if (io.json) {
    io.stdout.write(`${JSON.stringify(catalog)}\n`);
    return 0;
  }
  const width = Math.max(...catalog.map((entry) => entry.id.length), 2);
  for (const entry of catalog) {
    io.stdout.write(`${entry.id.padEnd(width)}  ${entry.name} (${entry.parameters}, ${entry.quantisation}, ${formatBytes(entry.sizeBytes)}, ${entry.licence})\n`);
  }
  io.stdout.write('\nDownload one with: burrow models pull ID\n');
  return 0;
}
