/**
 * Main's side of node-llama-cpp's binary test (why: src/core/engine/binary-test-protocol.ts).
 * The engine asks, over its port, for node-llama-cpp's testBindingBinary.js to be started;
 * this runs it as a process of main's own and relays its messages and exit both ways.
 *
 * Pure (no electron import), so it is testable in plain Node: the process is started by the
 * `fork` given (engine-spawn.ts passes utilityProcess.fork, tests child_process.fork).
 *
 * The engine is not trusted further than it already is: only node-llama-cpp's own test module
 * is started (the path is checked here too), with main's environment plus llama.cpp's own
 * variables (pickBinaryTestEnv), a few at a time, and all of them die with the engine.
 */
import {
  BinaryTestRequest,
  isBinaryTestMessage,
  isBindingTestModule,
  pickBinaryTestEnv,
  type BinaryTestEvent,
} from '../core/engine/binary-test-protocol';
import type { ProcessChannel } from '../core/process/channel';

export interface TestProcessEvents {
  /** The process started (Electron's 'spawn'). */
  onSpawn(pid: number | undefined): void;
  onMessage(message: unknown): void;
  /** Called once, whether it ran or not. -1 when there is no exit code. */
  onExit(code: number): void;
}

export interface TestProcess {
  postMessage(message: unknown): void;
  kill(): void;
}

/** Starts `modulePath` with `env` (TEST_BINDING_CP included) and reports through `events`. */
export type ForkTestProcess = (modulePath: string, env: NodeJS.ProcessEnv, events: TestProcessEvents) => TestProcess;

export interface BinaryTestRelayOptions {
  fork: ForkTestProcess;
  /** To the engine process. */
  send: (event: BinaryTestEvent) => void;
  /** Default: isBindingTestModule — node-llama-cpp's testBindingBinary.js as main resolves it. */
  isAllowedModule?: (modulePath: string) => boolean;
  /** Default: process.env. */
  baseEnv?: NodeJS.ProcessEnv;
  /** Test processes running at once for one engine. Default 4 (node-llama-cpp runs one at a time). */
  maxRunning?: number;
}

export interface BinaryTestRelay {
  /**
   * Takes a message from the engine. Returns true when it was a binary-test message (handled
   * or dropped here), false when it is for EngineHost.
   */
  handle(raw: unknown): boolean;
  /** Kills every test process; nothing more is sent. Call when the engine is gone. */
  dispose(): void;
  readonly running: number;
}

export function createBinaryTestRelay(options: BinaryTestRelayOptions): BinaryTestRelay {
  const isAllowed = options.isAllowedModule ?? ((path: string) => isBindingTestModule(path));
  const maxRunning = options.maxRunning ?? 4;
  const processes = new Map<number, TestProcess>();
  let disposed = false;

  const send = (event: BinaryTestEvent): void => {
    if (disposed) return;
    try {
      options.send(event);
    } catch {
      // The engine is going; its exit disposes the relay.
    }
  };
  const refuse = (id: number, error: string): void => send({ type: 'binaryTest.exit', id, code: -1, error });

  function start(id: number, modulePath: string, env: Record<string, string>): void {
    if (processes.has(id)) return refuse(id, `binary test ${id} is already running.`);
    if (!isAllowed(modulePath)) return refuse(id, `refused to run ${modulePath}: it is not node-llama-cpp's testBindingBinary.js.`);
    if (processes.size >= maxRunning) return refuse(id, `too many binary tests running (${processes.size}).`);
    let exited = false;
    const events: TestProcessEvents = {
      onSpawn: (pid) => {
        if (!exited && pid !== undefined) send({ type: 'binaryTest.spawn', id, pid });
      },
      onMessage: (message) => {
        if (!exited) send({ type: 'binaryTest.message', id, message });
      },
      onExit: (code) => {
        if (exited) return;
        exited = true;
        processes.delete(id);
        send({ type: 'binaryTest.exit', id, code });
      },
    };
    // The id is taken while fork runs (for the checks above); an exit reported at once frees it.
    processes.set(id, { postMessage: () => undefined, kill: () => undefined });
    try {
      const child = options.fork(modulePath, { ...(options.baseEnv ?? process.env), ...pickBinaryTestEnv(env), TEST_BINDING_CP: 'true' }, events);
      if (exited) return;
      processes.set(id, child);
    } catch (error) {
      processes.delete(id);
      if (!exited) {
        exited = true;
        refuse(id, `could not start it: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }

  return {
    handle(raw) {
      if (!isBinaryTestMessage(raw)) return false;
      if (disposed) return true;
      const parsed = BinaryTestRequest.safeParse(raw);
      if (!parsed.success) {
        // A start that does not parse is answered, so the engine's test does not wait for its timeout.
        const id = unansweredStartId(raw, processes);
        if (id !== null) refuse(id, `malformed request: ${parsed.error.message}`);
        return true;
      }
      const request = parsed.data;
      switch (request.type) {
        case 'binaryTest.start':
          start(request.id, request.modulePath, request.env);
          return true;
        case 'binaryTest.send':
          postTo(processes.get(request.id), request.message);
          return true;
        case 'binaryTest.kill':
          processes.get(request.id)?.kill();
          return true;
      }
    },
    dispose() {
      if (disposed) return;
      disposed = true;
      killAll(processes);
    },
    get running() {
      return processes.size;
    },
  };
}

/** The id of a start request that did not parse, when it names no running test; else null. */
function unansweredStartId(raw: unknown, processes: ReadonlyMap<number, TestProcess>): number | null {
  const id = (raw as { id?: unknown }).id;
  if ((raw as { type?: unknown }).type !== 'binaryTest.start' || typeof id !== 'number' || !Number.isInteger(id) || id <= 0) return null;
  return processes.has(id) ? null : id;
}

function postTo(child: TestProcess | undefined, message: unknown): void {
  try {
    child?.postMessage(message);
  } catch {
    // It is exiting; 'exit' follows.
  }
}

function killAll(processes: Map<number, TestProcess>): void {
  const all = [...processes.values()];
  processes.clear();
  for (const child of all) {
    try {
      child.kill();
    } catch {
      // Already gone.
    }
  }
}

/**
 * `channel` with binary-test messages answered by a relay (processes started with `fork`) and
 * kept from its listeners, so EngineHost sees only engine messages. The relay's processes
 * are killed when the engine exits.
 */
export function withBinaryTestRelay(channel: ProcessChannel, fork: ForkTestProcess): ProcessChannel {
  const relay = createBinaryTestRelay({ fork, send: (event) => channel.send(event) });
  channel.onMessage((message) => relay.handle(message));
  channel.onExit(() => relay.dispose());
  return {
    get pid() {
      return channel.pid;
    },
    send: (message) => channel.send(message),
    onMessage: (listener) =>
      channel.onMessage((message) => {
        if (!isBinaryTestMessage(message)) listener(message);
      }),
    onExit: (listener) => channel.onExit(listener),
    kill: () => channel.kill(),
  };
}
