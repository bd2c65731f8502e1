/**
 * The core as the command line starts it: the data folder the app uses (or BURROW_DATA_DIR),
 * the engine in its own Node process, no model loaded until a command asks, and the model
 * file named on the command line the only one it may open (a terminal has no file dialog).
 */
import { createAssistant, type Assistant } from '../core/assistant';
import { spawnNodeEngine } from '../core/process/node-spawn';
import { resolveDataDir } from '../core/store/paths';
import type { Client } from '../shared/client';
import { BurrowError } from '../shared/errors';
import { connectInProcess } from '../shared/in-process-client';

export interface CliCoreOptions {
  /** --model FILE.gguf */
  model?: string;
  /** --threads N */
  threads?: string;
  /** The command takes --model (ask, chat, summarize): say so when a model file is asked for. */
  takesModel?: boolean;
}

export function startCliCore(options: CliCoreOptions = {}): { assistant: Assistant; client: Client } {
  const assistant = createAssistant({
    dataDir: resolveDataDir(),
    spawnEngine: spawnNodeEngine(),
    autoLoadLastModel: false,
    // `burrow serve` starts the API server itself; other commands never do.
    startApiServer: false,
    ...(options.threads !== undefined ? { engineSettings: { threads: Math.max(1, Number.parseInt(options.threads, 10) || 1) } } : {}),
    grantedModels: options.model ? [options.model] : [],
    pickModelFile: () =>
      Promise.reject(new BurrowError('refused', options.takesModel === true ? 'Pass the model with --model FILE.gguf.' : 'The command line cannot open a file dialog.')),
  });
  return { assistant, client: connectInProcess(assistant) };
}
