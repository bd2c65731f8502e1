/**
 * A cheap check that a file can be a GGUF model, run before the current model is replaced
 * so a wrong file never costs the user the model they had. It reads 8 bytes; the full,
 * bounded header validation belongs to the models module and can grow here later.
 */
import { open, stat } from 'node:fs/promises';
import { BurrowError } from '../../shared/errors';

const GGUF_MAGIC = Buffer.from('GGUF', 'ascii');
/** llama.cpp reads GGUF versions 2 and 3 (version 1 was dropped in 2023). */
const SUPPORTED_VERSIONS = new Set([2, 3]);

export interface ModelFileFacts {
  sizeBytes: number;
  version: number;
}

export async function checkModelFile(path: string): Promise<ModelFileFacts> {
  let size: number;
  try {
    const facts = await stat(path);
    if (!facts.isFile()) {
      throw new BurrowError('model_invalid', `This is not a model file: ${path} is a folder or a device. Choose a .gguf file.`);
    }
    size = facts.size;
  } catch (error) {
    if (error instanceof BurrowError) throw error;
    throw unreadable(path, error);
  }

  const header = Buffer.alloc(8);
  let read = 0;
  try {
    const handle = await open(path, 'r');
    try {
      read = (await handle.read(header, 0, 8, 0)).bytesRead;
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw unreadable(path, error);
  }

  if (read < 8 || !header.subarray(0, 4).equals(GGUF_MAGIC)) {
    throw new BurrowError(
      'model_invalid',
      'This file is not a GGUF model. Burrow runs models in the GGUF format (files ending in .gguf); download one, or pick another file.',
    );
  }
  const version = header.readUInt32LE(4);
  if (!SUPPORTED_VERSIONS.has(version)) {
    throw new BurrowError(
      'model_invalid',
      `This GGUF file uses format version ${version}, which Burrow cannot read. Download a current version of the model.`,
    );
  }
  return { sizeBytes: size, version };
}

function unreadable(path: string, error: unknown): BurrowError {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const reason =
    code === 'ENOENT'
      ? 'the file does not exist. It may have been moved or deleted'
      : code === 'EACCES' || code === 'EPERM'
        ? 'Burrow is not allowed to read it'
        : error instanceof Error
          ? error.message
          : String(error);
  return new BurrowError('model_load_failed', `Burrow could not open the model ${path}: ${reason}.`, { cause: error });
}
