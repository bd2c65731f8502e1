/**
 * Checks a model file before the current model is replaced, so a wrong or hostile file never
 * costs the user the model they had and never reaches llama.cpp: the bounded GGUF validator
 * reads the header (magic, version, counts, tensor layout) without loading anything.
 */
import { BurrowError } from '../../shared/errors';
import { validateGguf, type GgufFacts } from './gguf-validator';

export interface ModelFileFacts {
  sizeBytes: number;
  version: number;
  facts: GgufFacts;
}

export async function checkModelFile(path: string): Promise<ModelFileFacts> {
  try {
    const verdict = await validateGguf(path);
    if (!verdict.ok) throw new BurrowError('model_invalid', verdict.message);
    return { sizeBytes: verdict.facts.fileSize, version: verdict.facts.version, facts: verdict.facts };
  } catch (error) {
    if (error instanceof BurrowError) throw error;
    throw unreadable(path, error);
  }
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
