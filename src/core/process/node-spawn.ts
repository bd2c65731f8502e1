/**
 * Starts the core's child processes (the engine, the extraction process) as plain Node
 * children (CLI, browser host, tests); the Electron app uses utilityProcesses instead
 * (src/main/utility-process.ts). Runs the built worker when there is one, else the TypeScript
 * source through tsx, so `npm test` works without a build.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { ProcessChannel, ProcessExit, SpawnProcess } from './channel';
import { ENGINE_EXEC_ARGV, engineProcessEnv, heapLimitArgs } from './process-env';
import { findProjectRoot } from './project-root';

export interface NodeEngineOptions {
  /** A built worker script to run with plain node. Default: `out/main/engine-worker.js` when it exists. */
  entry?: string;
  /** Run `src/core/engine/worker.ts` through tsx even when a build exists (tests use this, so they test the source). */
  fromSource?: boolean;
  /** Default: this process's environment. Either way with the engine's own settings (process-env.ts). */
  env?: NodeJS.ProcessEnv;
  /**
   * Receives what the process writes to stdout/stderr (llama.cpp's native logs, crash reports).
   * Default: kept quiet, except that the last lines are printed to stderr when the process
   * dies on its own, because that is when they explain something.
   */
  onOutput?: (text: string) => void;
}

export interface NodeDocumentWorkerOptions {
  /** Run the TypeScript source even when a build exists (tests use this, so they test the source). */
  fromSource?: boolean;
  /** V8 heap cap in MB. Default WORKER_HEAP_MB. */
  heapMb?: number;
  /** Receives what the process prints (pdf.js warnings). Default: dropped. */
  onOutput?: (text: string) => void;
}

interface WorkerEntry {
  script: string;
  execArgv: string[];
}

const OUTPUT_TAIL_CHARS = 4000;

/** `out/main/<built>` when it exists and the source is not asked for, else the source file through tsx. */
function resolveWorkerEntry(built: string, source: readonly string[], fromSource: boolean): WorkerEntry {
  const root = findProjectRoot(import.meta.url);
  const builtScript = join(root, 'out', 'main', built);
  if (!fromSource && existsSync(builtScript)) return { script: builtScript, execArgv: [] };
  // An absolute URL, so the child finds tsx whatever its working directory is.
  const tsx = pathToFileURL(createRequire(join(root, 'package.json')).resolve('tsx')).href;
  return { script: join(root, ...source), execArgv: ['--import', tsx] };
}

export function resolveEngineEntry(options: Pick<NodeEngineOptions, 'entry' | 'fromSource'> = {}): WorkerEntry {
  if (options.entry !== undefined) return { script: options.entry, execArgv: [] };
  return resolveWorkerEntry('engine-worker.js', ['src', 'core', 'engine', 'worker.ts'], options.fromSource === true);
}

export function resolveDocumentWorkerEntry(fromSource = false): WorkerEntry {
  return resolveWorkerEntry('document-worker.js', ['src', 'core', 'documents', 'worker.ts'], fromSource);
}

export function spawnNodeEngine(options: NodeEngineOptions = {}): SpawnProcess {
  const { script, execArgv } = resolveEngineEntry(options);
  return () =>
    forkChild(script, {
      execArgv: [...ENGINE_EXEC_ARGV, ...execArgv],
      env: engineProcessEnv(options.env),
      onOutput: options.onOutput,
      reportCrashAs: 'engine',
    });
}

export function spawnNodeDocumentWorker(options: NodeDocumentWorkerOptions = {}): SpawnProcess {
  const { script, execArgv } = resolveDocumentWorkerEntry(options.fromSource);
  return () => forkChild(script, { execArgv: [...heapLimitArgs(options.heapMb), ...execArgv], onOutput: options.onOutput });
}

interface ForkOptions {
  execArgv: string[];
  /** Default: this process's environment. */
  env?: NodeJS.ProcessEnv;
  /** Receives what the process writes to stdout/stderr. Default: kept quiet (see reportCrashAs). */
  onOutput?: ((text: string) => void) | undefined;
  /** Without onOutput: print the last lines of output to stderr, under this name, when the process dies on its own. */
  reportCrashAs?: string;
}

/** One Node child with an IPC channel, as the channel its supervisor speaks over. */
function forkChild(script: string, options: ForkOptions): ProcessChannel {
  const child = fork(script, [], {
    execArgv: options.execArgv,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    serialization: 'json',
  });
  let tail = '';
  let killedByUs = false;
  const { onOutput, reportCrashAs } = options;
  const collect = (chunk: Buffer): void => {
    const text = chunk.toString('utf8');
    if (onOutput) return onOutput(text);
    if (reportCrashAs !== undefined) tail = (tail + text).slice(-OUTPUT_TAIL_CHARS);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);

  const exitListeners: Array<(info: ProcessExit) => void> = [];
  let exited: ProcessExit | null = null;
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
    if (reportCrashAs !== undefined && !killedByUs && (code !== 0 || signal !== null) && tail.trim().length > 0) {
      process.stderr.write(`[burrow ${reportCrashAs} ${child.pid ?? '?'} exited with ${signal ?? `code ${code}`}]\n${tail.trimEnd()}\n`);
    }
  });

  const channel: ProcessChannel = {
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
}
