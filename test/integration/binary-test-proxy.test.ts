/**
 * node-llama-cpp's binary test, end to end through Burrow's proxy, with the real library and
 * the real prebuilt binary — everything but Electron:
 *
 *   this process ("main": the real relay, with child_process.fork in place of utilityProcess.fork)
 *     └─ test/support/binary-test-engine.ts ("engine": the fork proxy over its IPC channel,
 *        │  which plays Electron's parentPort; calls testBindingBinary() / getLlama())
 *        └─ (started by "main", not by the engine) node-llama-cpp's testBindingBinary.js,
 *           loading llama-addon.node and answering over its own IPC channel
 *
 * The second group runs the real engine worker (src/core/engine/worker.ts) under EngineHost,
 * dressed as the packaged app's utility process by test/support/electron-utility-shim.mjs
 * (parentPort, process.versions.electron, and a fork that fails as the RunAsNode fuse makes it),
 * with main's glue (withBinaryTestRelay) around its channel.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import type { BinaryTestEvent } from '../../src/core/engine/binary-test-protocol';
import { EngineHost } from '../../src/core/engine/engine-host';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import type { SpawnEngine } from '../../src/core/engine/types';
import { findProjectRoot } from '../../src/core/process/project-root';
import { createBinaryTestRelay, withBinaryTestRelay, type BinaryTestRelay, type ForkTestProcess } from '../../src/main/binary-test-relay';
import { tinyModelPath } from '../support/tiny-model';

const root = findProjectRoot(import.meta.url);
const tsx = pathToFileURL(createRequire(join(root, 'package.json')).resolve('tsx')).href;

/** This machine's CPU build of llama.cpp, as npm installed it (absent: the end-to-end tests are skipped). */
const platform = ({ linux: 'linux', win32: 'win', darwin: 'mac' } as Record<string, string>)[process.platform] ?? process.platform;
const cpuBuild = `${platform}-${process.arch}`;
const cpuBinary = join(root, 'node_modules', '@node-llama-cpp', cpuBuild, 'bins', cpuBuild, 'llama-addon.node');
const haveCpuBinary = existsSync(cpuBinary);

/** What "main" started, for the assertions. */
interface Started {
  modulePath: string;
  env: NodeJS.ProcessEnv;
  pid: number | undefined;
  exitCode: number | null;
}

/** child_process.fork, shaped like engine-spawn.ts's utilityProcess.fork adapter. */
function nodeForkTest(started: Started[]): ForkTestProcess {
  return (modulePath, env, events) => {
    const child = fork(modulePath, [], { env, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    const record: Started = { modulePath, env, pid: undefined, exitCode: null };
    started.push(record);
    child.stderr?.resume();
    child.once('spawn', () => {
      record.pid = child.pid;
      events.onSpawn(child.pid);
    });
    child.on('message', (message) => events.onMessage(message));
    child.once('exit', (code) => {
      record.exitCode = code;
      events.onExit(code ?? -1);
    });
    return { postMessage: (message) => child.send(message as object), kill: () => void child.kill() };
  };
}

interface Harness {
  engine: ChildProcess;
  relay: BinaryTestRelay;
  started: Started[];
  /** What "main" sent the engine over its port. */
  toEngine: BinaryTestEvent[];
  run(request: Record<string, unknown>): Promise<{ ok: boolean; value?: unknown; error?: string }>;
}

let harness: Harness | undefined;
afterEach(() => {
  harness?.relay.dispose();
  harness?.engine.kill('SIGKILL');
  harness = undefined;
});

async function startHarness(isAllowedModule?: (path: string) => boolean): Promise<Harness> {
  const engine = fork(join(root, 'test', 'support', 'binary-test-engine.ts'), [], {
    execArgv: ['--import', tsx],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    env: { ...process.env, TEST_BINDING_CP: undefined },
  });
  const started: Started[] = [];
  const toEngine: BinaryTestEvent[] = [];
  const relay = createBinaryTestRelay({
    fork: nodeForkTest(started),
    send: (event) => {
      toEngine.push(event);
      if (engine.connected) engine.send(event);
    },
    ...(isAllowedModule ? { isAllowedModule } : {}),
  });
  const results: Array<{ ok: boolean; value?: unknown; error?: string }> = [];
  const waiting: Array<() => void> = [];
  let ready!: () => void;
  const isReady = new Promise<void>((resolve) => (ready = resolve));
  // As in engine-spawn.ts: binary-test messages go to the relay, the rest to the "host".
  engine.on('message', (message: { type?: string }) => {
    if (relay.handle(message)) return;
    if (message.type === 'ready') ready();
    if (message.type === 'result') {
      const { type: _type, ...result } = message as { type: string } & (typeof results)[number];
      results.push(result);
      waiting.shift()?.();
    }
  });
  engine.once('exit', () => relay.dispose());
  await isReady;
  harness = {
    engine,
    relay,
    started,
    toEngine,
    run: async (request) => {
      const answered = new Promise<void>((resolve) => waiting.push(resolve));
      engine.send({ type: 'run', ...request });
      await answered;
      return results.shift()!;
    },
  };
  return harness;
}

describe.skipIf(!haveCpuBinary)("node-llama-cpp's binary test through the engine's port", () => {
  it('passes for the real prebuilt CPU binary, run by "main", not by the engine', async () => {
    const { run, started, toEngine, engine, relay } = await startHarness();
    await expect(run({ what: 'testBindingBinary', bindingPath: cpuBinary, gpu: false })).resolves.toEqual({ ok: true, value: true });

    expect(started).toHaveLength(1);
    const [test] = started;
    expect(test!.modulePath).toMatch(/node-llama-cpp[\\/]dist[\\/]bindings[\\/]utils[\\/]testBindingBinary\.js$/);
    expect(test!.env.TEST_BINDING_CP).toBe('true');
    expect(test!.exitCode).toBe(0);
    expect(test!.pid).not.toBe(engine.pid);
    // What the library's test process said, relayed in its order; then its exit.
    expect(toEngine.map((event) => (event.type === 'binaryTest.message' ? (event.message as { type: string }).type : event.type))).toEqual([
      'binaryTest.spawn',
      'ready',
      'loaded',
      'done',
      'binaryTest.exit',
    ]);
    expect(toEngine.at(-1)).toEqual({ type: 'binaryTest.exit', id: 1, code: 0 });
    expect(relay.running).toBe(0);
  });

  it('fails, with the exit code relayed, for a binary that does not load', async () => {
    const { run, started, toEngine } = await startHarness();
    const missing = join(root, 'node_modules', '@node-llama-cpp', cpuBuild, 'bins', cpuBuild, 'no-such-addon.node');
    await expect(run({ what: 'testBindingBinary', bindingPath: missing, gpu: false })).resolves.toEqual({ ok: true, value: false });
    expect(started[0]!.exitCode).toBe(1);
    expect(toEngine.at(-1)).toMatchObject({ type: 'binaryTest.exit', code: 1 });
  });

  it('fails as the library does when "main" refuses the module', async () => {
    const { run, started, toEngine } = await startHarness(() => false);
    const result = await run({ what: 'testBindingBinary', bindingPath: cpuBinary, gpu: false });
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/failed to run a test process/);
    expect(started).toEqual([]);
    expect(toEngine).toEqual([expect.objectContaining({ type: 'binaryTest.exit', id: 1, code: -1 })]);
  });

  it.skipIf(process.platform !== 'linux')('lets getLlama() load the prebuilt binary, which Linux always tests first', async () => {
    const { run, started } = await startHarness();
    const result = await run({ what: 'getLlama' });
    expect(result).toEqual({ ok: true, value: { gpu: false, buildType: 'prebuilt' } });
    expect(started.length).toBeGreaterThanOrEqual(1);
    expect(started.every((test) => test.exitCode === 0)).toBe(true);
  });
});

describe.skipIf(process.platform !== 'linux' || !haveCpuBinary)('the engine worker as the packaged app runs it (RunAsNode fuse off)', () => {
  const shim = pathToFileURL(join(root, 'test', 'support', 'electron-utility-shim.mjs')).href;

  /** Like spawnUtilityEngine: the worker's channel wrapped by main's relay. */
  function spawnPackagedEngine(options: { electron: boolean; started: Started[]; output: string[] }): SpawnEngine {
    const spawnNode = spawnNodeEngine({
      fromSource: true,
      env: {
        ...process.env,
        NODE_OPTIONS: [process.env.NODE_OPTIONS, `--import=${shim}`].filter(Boolean).join(' '),
        BURROW_SHIM_ELECTRON: options.electron ? '1' : '0',
        // The prebuilt binary, which node-llama-cpp tests in a child process: the path under test.
        BURROW_ENGINE_BUILD: 'prebuilt',
      },
      onOutput: (text) => options.output.push(text),
    });
    return () => withBinaryTestRelay(spawnNode(), nodeForkTest(options.started));
  }

  async function withHost<T>(spawn: SpawnEngine, logs: string[], use: (host: EngineHost) => Promise<T>): Promise<T> {
    const host = new EngineHost({ spawn, settings: { gpu: false, maxTokens: 8, seed: 1 }, onLog: (level, message) => logs.push(`${level}: ${message}`) });
    try {
      return await use(host);
    } finally {
      await host.dispose();
    }
  }

  it('loads and runs a model: node-llama-cpp tests its binary through main', async () => {
    const started: Started[] = [];
    const output: string[] = [];
    const logs: string[] = [];
    await withHost(spawnPackagedEngine({ electron: true, started, output }), logs, async (host) => {
      await expect(host.load(tinyModelPath())).resolves.toMatchObject({ state: 'ready' });
      const answer = await host.generate({ sessionKey: 'a', history: [], prompt: 'hello', signal: new AbortController().signal, onText: () => undefined });
      expect(answer.stats.generatedTokens).toBeGreaterThan(0);
    });
    expect(started.length).toBeGreaterThanOrEqual(1);
    expect(started.every((test) => test.exitCode === 0 && test.env.TEST_BINDING_CP === 'true')).toBe(true);
    expect(output.join('')).not.toContain('[shim] fused fork');
    // Binary-test messages reach neither EngineHost nor the worker's request handler.
    expect(logs.filter((line) => /malformed|does not understand/i.test(line))).toEqual([]);
  });

  it('control: without the proxy, the fuse stops every load (the bug)', async () => {
    const started: Started[] = [];
    const output: string[] = [];
    const logs: string[] = [];
    await withHost(spawnPackagedEngine({ electron: false, started, output }), logs, async (host) => {
      await expect(host.load(tinyModelPath())).rejects.toThrow(/NoBinaryFound/);
    });
    expect(started).toEqual([]);
    expect(output.join('')).toContain('[shim] fused fork');
    expect(output.join('')).toContain('Binding binary test failed to run a test process');
  });
});
