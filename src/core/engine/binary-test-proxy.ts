/**
 * The engine's side of node-llama-cpp's binary test (see binary-test-protocol.ts for why).
 *
 * In an Electron utility process, node-llama-cpp's testBindingBinary.js finds no
 * `utilityProcess` in `electron` and calls `child_process.fork(itself)`, which the packaged
 * app's RunAsNode fuse breaks. installBinaryTestForkProxy replaces `child_process.fork` — and
 * re-syncs the ESM named export with `module.syncBuiltinESMExports()`, since that module does
 * `import { fork } from "node:child_process"` — by a function that, for that one module only,
 * returns a BinaryTestProcess: a ChildProcess look-alike whose messages, kill and exit travel
 * over the engine's parent port to main, which runs the real test as a utilityProcess. Every
 * other fork goes to the original. ESM imports of builtins are live bindings, so this works
 * even after node-llama-cpp has been imported (the built worker hoists its imports), as long
 * as it happens before the first getLlama().
 */
import childProcess, { type ChildProcess, type ForkOptions } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { syncBuiltinESMExports } from 'node:module';
import {
  BinaryTestEvent,
  isBinaryTestMessage,
  isBindingTestModule,
  pickBinaryTestEnv,
  toFilePath,
  type BinaryTestRequest,
} from './binary-test-protocol';
import type { ParentPort } from '../process/parent-port';

type Fork = typeof childProcess.fork;
export type BinaryTestPort = Pick<ParentPort, 'send' | 'onMessage'>;
export type BinaryTestLog = (level: 'debug' | 'warn', message: string) => void;

/**
 * What testBindingBinary.js uses of a forked ChildProcess — `on('message' | 'exit')`,
 * `send`, `kill`, `killed`, `exitCode`, `stdout?.`/`stderr?.` — plus the rest of the
 * everyday surface (pid, 'spawn', connected, signalCode, 'close'). No stdio: the test process
 * writes to main's output.
 */
export class BinaryTestProcess extends EventEmitter {
  pid: number | undefined = undefined;
  exitCode: number | null = null;
  signalCode: NodeJS.Signals | null = null;
  killed = false;
  connected = true;
  readonly stdin = null;
  readonly stdout = null;
  readonly stderr = null;
  readonly stdio = [null, null, null] as const;
  readonly spawnfile: string;
  readonly spawnargs: string[];
  #post: (request: BinaryTestRequest) => void;
  #id: number;
  #exited = false;

  constructor(id: number, modulePath: string, post: (request: BinaryTestRequest) => void) {
    super();
    this.#id = id;
    this.#post = post;
    this.spawnfile = modulePath;
    this.spawnargs = [modulePath];
  }

  /** Like ChildProcess#send: false once the process is gone. A trailing callback is called when sent. */
  send(message: unknown, ...rest: unknown[]): boolean {
    const callback = rest.findLast((argument): argument is (error: Error | null) => void => typeof argument === 'function');
    if (!this.connected) {
      if (callback) process.nextTick(callback, new Error('The binary test process has exited.'));
      return false;
    }
    this.#post({ type: 'binaryTest.send', id: this.#id, message });
    if (callback) process.nextTick(callback, null);
    return true;
  }

  /** Asks main to end the process; 'exit' follows. The signal is not forwarded (utility processes take none). */
  kill(_signal?: NodeJS.Signals | number): boolean {
    if (this.#exited) return false;
    this.killed = true;
    this.#post({ type: 'binaryTest.kill', id: this.#id });
    return true;
  }

  disconnect(): void {
    if (!this.connected) return;
    this.kill();
  }

  ref(): void {}
  unref(): void {}

  /** @internal Main started it. */
  spawned(pid: number): void {
    if (this.#exited) return;
    this.pid = pid;
    this.emit('spawn');
  }

  /** @internal A message from the test process. */
  received(message: unknown): void {
    if (!this.#exited) this.emit('message', message);
  }

  /** @internal The test process is gone: exitCode is set before 'exit', as in Node. */
  exited(code: number): void {
    if (this.#exited) return;
    this.#exited = true;
    this.exitCode = code;
    this.connected = false;
    this.emit('disconnect');
    this.emit('exit', code, null);
    this.emit('close', code, null);
  }
}

export interface BinaryTestForkOptions {
  /** The fork every other module gets. */
  original: Fork;
  port: BinaryTestPort;
  /** Default: isBindingTestModule (node-llama-cpp's own testBindingBinary.js). */
  isTestModule?: (modulePath: string) => boolean;
  log?: BinaryTestLog;
}

/** A `fork` that proxies node-llama-cpp's binary test over `port`. Pure: it replaces nothing. */
export function createBinaryTestFork(options: BinaryTestForkOptions): Fork {
  const { original, port, log } = options;
  const isTestModule = options.isTestModule ?? ((path: string) => isBindingTestModule(path));
  const running = new Map<number, BinaryTestProcess>();
  let nextId = 1;
  const post = (request: BinaryTestRequest): void => port.send(request);

  port.onMessage((raw) => {
    if (!isBinaryTestMessage(raw)) return;
    const parsed = BinaryTestEvent.safeParse(raw);
    if (!parsed.success) {
      log?.('warn', `Ignored a malformed binary-test message: ${parsed.error.message}`);
      return;
    }
    const event = parsed.data;
    const child = running.get(event.id);
    if (child === undefined) return;
    switch (event.type) {
      case 'binaryTest.spawn':
        child.spawned(event.pid);
        return;
      case 'binaryTest.message':
        child.received(event.message);
        return;
      case 'binaryTest.exit':
        running.delete(event.id);
        if (event.error !== undefined) log?.('warn', `The llama.cpp binary test could not run: ${event.error}`);
        child.exited(event.code);
        return;
    }
  });

  function fork(this: unknown, ...args: unknown[]): ChildProcess {
    const modulePath = toFilePath(args[0]);
    if (modulePath === null || !isTestModule(modulePath)) return Reflect.apply(original, this, args) as ChildProcess;
    // fork(modulePath, options) or fork(modulePath, args, options); the test module takes no arguments.
    const forkOptions = (Array.isArray(args[1]) ? args[2] : args[1]) as ForkOptions | undefined;
    const id = nextId++;
    const child = new BinaryTestProcess(id, modulePath, post);
    running.set(id, child);
    log?.('debug', `Running the llama.cpp binary test through the app (${modulePath}).`);
    post({ type: 'binaryTest.start', id, modulePath, env: pickBinaryTestEnv(forkOptions?.env ?? process.env) });
    return child as unknown as ChildProcess;
  }
  return fork as Fork;
}

/**
 * Replaces `child_process.fork` with `make(original)`, for CommonJS and ESM importers alike.
 * Returns a function that puts the original back.
 */
export function replaceChildProcessFork(make: (original: Fork) => Fork): () => void {
  const exports = childProcess as { fork: Fork };
  const original = exports.fork;
  exports.fork = make(original);
  syncBuiltinESMExports();
  return () => {
    exports.fork = original;
    syncBuiltinESMExports();
  };
}

/** Whether this process is an Electron utility process (the only place the proxy is needed). */
export function inElectronUtilityProcess(): boolean {
  return (process as { parentPort?: unknown }).parentPort !== undefined && process.versions.electron !== undefined;
}

let installed = false;

/**
 * The worker's entry point: in an Electron utility process, routes node-llama-cpp's binary
 * test through `port` (the engine's parent port). Anywhere else (plain Node: CLI, tests)
 * `fork` works and nothing changes. Returns whether the proxy is in place.
 */
export function installBinaryTestForkProxy(port: BinaryTestPort, log?: BinaryTestLog): boolean {
  if (installed) return true;
  if (!inElectronUtilityProcess()) return false;
  replaceChildProcessFork((original) => createBinaryTestFork({ original, port, ...(log ? { log } : {}) }));
  installed = true;
  return true;
}
