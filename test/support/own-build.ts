/**
 * Burrow's own engine build (`npm run build:engine`), for the tests of what its patches do; null
 * where it is not built (CI builds none), and the test skips.
 */
import { LlamaLogLevel, NoBinaryFoundError, type Llama } from 'node-llama-cpp';
import { loadLlama } from '../../src/core/engine/engine-build';

export async function loadOwnBuild(): Promise<Llama | null> {
  try {
    return (await loadLlama('local', { gpu: false, logLevel: LlamaLogLevel.error })).llama;
  } catch (error) {
    if (error instanceof NoBinaryFoundError) return null;
    throw error;
  }
}
