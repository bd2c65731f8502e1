/**
 * The core's child processes (the engine, the extraction process) as Electron utilityProcesses:
 * a crash there is not a crash of the app. One channel for both, over a narrow interface, so it
 * is tested with a fake (index.ts and engine-spawn.ts pass Electron's utilityProcess.fork).
 */
import type { ProcessChannel, ProcessExit, SpawnProcess } from '../core/process/channel';

/** The part of Electron's UtilityProcess the channel uses. */
export interface UtilityChild {
  readonly pid: number | undefined;
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  once(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
}

export interface UtilityForkOptions {
  serviceName: string;
  execArgv: string[];
  stdio: 'ignore' | 'inherit';
  /** Default: main's environment. */
  env?: NodeJS.ProcessEnv;
}

export type ForkUtility = (modulePath: string, args: string[], options: UtilityForkOptions) => UtilityChild;

/** Starts `entry` as a utilityProcess each time the supervisor asks for one. */
export function spawnUtility(fork: ForkUtility, entry: string, options: UtilityForkOptions): SpawnProcess {
  return () => utilityChannel(fork(entry, [], options));
}

/** A utilityProcess as the channel its supervisor (EngineHost, DocumentExtractor) speaks over. */
export function utilityChannel(child: UtilityChild): ProcessChannel {
  let exited: ProcessExit | null = null;
  const listeners: Array<(info: ProcessExit) => void> = [];
  child.once('exit', (code) => {
    if (exited !== null) return;
    exited = { code, signal: null };
    for (const listener of listeners.splice(0)) listener(exited);
  });
  return {
    get pid() {
      return child.pid;
    },
    send: (message) => {
      if (exited === null) child.postMessage(message);
    },
    onMessage: (listener) => {
      child.on('message', listener);
    },
    onExit: (listener) => {
      if (exited !== null) listener(exited);
      else listeners.push(listener);
    },
    kill: () => {
      if (exited === null) child.kill();
    },
  };
}
