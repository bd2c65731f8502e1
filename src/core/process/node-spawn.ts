/**
 * Starts the engine as a plain Node child process (CLI, browser host, tests); the Electron
 * app uses a utilityProcess instead. Runs the built worker when there is one, else the
 * TypeScript source through tsx, so `npm test` works without a build.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findProjectRoot } from './project-root';
import { ENGINE_EXEC_ARGV, engineProcessEnv } from '../engine/engine-env';
import type { EngineChannel, SpawnEngine } from '../engine/types';

export interface NodeEngineOptions {
  /** A built worker script to run with plain node. Default: `out/main/engine-worker.js` when it exists. */
  entry?: string;
  /** Run `src/core/engine/worker.ts` through tsx even when a build exists (tests use this, so they test the source). */
  fromSource?: boolean;
  /** Default: this process's environment. Either way with the engine's own settings (engine-env.ts). */
  env?: NodeJS.ProcessEnv;
  /**
   * Receives what the process writes to stdout/stderr (llama.cpp's native logs, crash reports).
   * Default: kept quiet, except that the last lines are printed to stderr when the process
   * dies on its own, because that is when they explain something.
   */
  onOutput?: (text: string) => void;
}

const OUTPUT_TAIL_CHARS = 4000;

export function resolveEngineEntry(options: Pick<NodeEngineOptions, 'entry' | 'fromSource'> = {}): { script: string; execArgv: string[] } {
  if (options.entry !== undefined) return { script: options.entry, execArgv: [] };
  const root = findProjectRoot(import.meta.url);
  const built = join(root, 'out', 'main', 'engine-worker.js');
  if (options.fromSource !== true && existsSync(built)) return { script: built, execArgv: [] };
  // An absolute URL, so the child finds tsx whatever its working directory is.
  const tsx = pathToFileURL(createRequire(join(root, 'package.json')).resolve('tsx')).href;
  return { script: join(root, 'src', 'core', 'engine', 'worker.ts'), execArgv: ['--import', tsx] };
}

export function spawnNodeEngine(options: NodeEngineOptions = {}): SpawnEngine {
  const { script, execArgv } = resolveEngineEntry(options);
  return () => {
    const child = fork(script, [], {
      execArgv: [...ENGINE_EXEC_ARGV, ...execArgv],
      env: engineProcessEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    let tail = '';
    let killedByUs = false;
    const collect = (chunk: Buffer): void => {
      const text = chunk.toString('utf8');
      if (options.onOutput) return options.onOutput(text);
      tail = (tail + text).slice(-OUTPUT_TAIL_CHARS);
    };
    child.stdout?.on('data', collect);
    child.stderr?.on('data', collect);

    const exitListeners: Array<(info: { code: number | null; signal: string | null }) => void> = [];
    let exited: { code: number | null; signal: string | null } | null = null;
    const finish = (code: number | null, signal: string | null): void => {
      if (exited !== null) return;
      exited = { code, signal };
      for (const listener of exitListeners) listener(exited);
    };
    // 'exit' (the process is reaped) rather than 'close' (its pipes are closed too): a
    // grandchild holding a pipe must not delay the crash report.
    child.on('exit', (code, signal) => finish(code, signal));
    // A process that could not be spawned at all emits 'error' and may never emit 'exit'.
    child.on('error', (error) => {
      if (child.pid === undefined) {
        tail += String(error);
        finish(null, null);
      }
    });
    // Printed on 'close', once all of the output has been read.
    child.on('close', (code, signal) => {
      if (!killedByUs && (code !== 0 || signal !== null) && tail.trim().length > 0) {
        process.stderr.write(`[burrow engine ${child.pid ?? '?'} exited with ${signal ?? `code ${code}`}]\n${tail.trimEnd()}\n`);
      }
    });

    const channel: EngineChannel = {
      get pid() {
        return child.pid;
      },
      send(message) {
        // A closed channel means the process is going; its exit is reported through onExit.
        if (child.connected) child.send(message as object, (error) => void error);
      },
      onMessage(listener) {
        child.on('message', listener);
      },
      onExit(listener) {
        if (exited !== null) listener(exited);
        else exitListeners.push(listener);
      },
      kill() {
        if (exited !== null) return;
        killedByUs = true;
        child.kill('SIGKILL');
      },
    };
    return channel;
  };
}
