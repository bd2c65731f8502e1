/**
 * Starts the extraction process as a plain Node child (CLI, browser host, tests), the way
 * process/node-spawn.ts starts the engine: the built `out/main/document-worker.js` when there is
 * one, else the TypeScript source through tsx. The Electron app passes a utilityProcess
 * spawner instead (with the same heap cap in its execArgv).
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { findProjectRoot } from './project-root';
import type { EngineChannel } from '../engine/types';
import { WORKER_HEAP_MB } from '../documents/types';

/** Starts one extraction process; the supervisor (DocumentExtractor) calls it again after a kill. */
export type SpawnDocumentWorker = () => EngineChannel;

export interface NodeDocumentWorkerOptions {
  /** Run the TypeScript source even when a build exists (tests use this, so they test the source). */
  fromSource?: boolean;
  /** V8 heap cap in MB. Default WORKER_HEAP_MB. */
  heapMb?: number;
  /** Receives what the process prints (pdf.js warnings). Default: dropped. */
  onOutput?: (text: string) => void;
}

/** The heap cap as a Node/Electron command-line flag, for any spawner. */
export function heapLimitArgs(heapMb: number = WORKER_HEAP_MB): string[] {
  return [`--max-old-space-size=${heapMb}`];
}

export function resolveDocumentWorkerEntry(fromSource = false): { script: string; execArgv: string[] } {
  const root = findProjectRoot(import.meta.url);
  const built = join(root, 'out', 'main', 'document-worker.js');
  if (!fromSource && existsSync(built)) return { script: built, execArgv: [] };
  const tsx = pathToFileURL(createRequire(join(root, 'package.json')).resolve('tsx')).href;
  return { script: join(root, 'src', 'core', 'documents', 'worker.ts'), execArgv: ['--import', tsx] };
}

export function spawnNodeDocumentWorker(options: NodeDocumentWorkerOptions = {}): SpawnDocumentWorker {
  const { script, execArgv } = resolveDocumentWorkerEntry(options.fromSource);
  return () => {
    const child = fork(script, [], {
      execArgv: [...heapLimitArgs(options.heapMb), ...execArgv],
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      serialization: 'json',
    });
    const output = (chunk: Buffer): void => options.onOutput?.(chunk.toString('utf8'));
    child.stdout?.on('data', output);
    child.stderr?.on('data', output);
    let exited: { code: number | null; signal: string | null } | null = null;
    const listeners: Array<(info: { code: number | null; signal: string | null }) => void> = [];
    const finish = (code: number | null, signal: string | null): void => {
      if (exited !== null) return;
      exited = { code, signal };
      for (const listener of listeners) listener(exited);
    };
    child.on('exit', (code, signal) => finish(code, signal));
    child.on('error', () => {
      if (child.pid === undefined) finish(null, null);
    });
    return {
      get pid() {
        return child.pid;
      },
      send(message) {
        if (child.connected) child.send(message as object, (error) => void error);
      },
      onMessage(listener) {
        child.on('message', listener);
      },
      onExit(listener) {
        if (exited !== null) listener(exited);
        else listeners.push(listener);
      },
      kill() {
        if (exited === null) child.kill('SIGKILL');
      },
    };
  };
}
