/**
 * Main's relay for node-llama-cpp's binary test, with a fake `fork` in place of Electron's
 * utilityProcess.fork.
 */
import { join, sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bindingTestModulePath, type BinaryTestEvent } from '../../../src/core/engine/binary-test-protocol';
import type { ProcessChannel } from '../../../src/core/process/channel';
import { createBinaryTestRelay, withBinaryTestRelay, type ForkTestProcess, type TestProcessEvents } from '../../../src/main/binary-test-relay';

const testModule = bindingTestModulePath()!;

interface FakeProcess {
  modulePath: string;
  env: NodeJS.ProcessEnv;
  events: TestProcessEvents;
  posted: unknown[];
  killed: number;
}

function setUp(options: { throwOnFork?: boolean; exitOnKill?: boolean; maxRunning?: number } = {}) {
  const forked: FakeProcess[] = [];
  const toEngine: BinaryTestEvent[] = [];
  const fork: ForkTestProcess = (modulePath, env, events) => {
    if (options.throwOnFork === true) throw new Error('no utility process today');
    const fake: FakeProcess = { modulePath, env, events, posted: [], killed: 0 };
    forked.push(fake);
    return {
      postMessage: (message) => fake.posted.push(message),
      kill: () => {
        fake.killed++;
        if (options.exitOnKill !== false) events.onExit(15);
      },
    };
  };
  const relay = createBinaryTestRelay({
    fork,
    send: (event) => toEngine.push(event),
    baseEnv: { PATH: '/usr/bin', HOME: '/home/me', GGML_VK_VISIBLE_DEVICES: '1' },
    ...(options.maxRunning === undefined ? {} : { maxRunning: options.maxRunning }),
  });
  return { relay, forked, toEngine };
}

const start = (id: number, modulePath = testModule, env: Record<string, string> = {}) => ({ type: 'binaryTest.start', id, modulePath, env });

describe('the binary-test relay in main', () => {
  it('leaves engine messages to EngineHost', () => {
    const { relay, forked, toEngine } = setUp();
    for (const message of [{ type: 'started', pid: 1 }, { type: 'log', level: 'info', message: 'x' }, null, 'binaryTest.start']) {
      expect(relay.handle(message)).toBe(false);
    }
    expect(forked).toEqual([]);
    expect(toEngine).toEqual([]);
  });

  it("runs node-llama-cpp's test module and relays both ways, in order", () => {
    const { relay, forked, toEngine } = setUp();
    expect(relay.handle(start(1, testModule, { GGML_VK_VISIBLE_DEVICES: '0', NODE_LLAMA_CPP_DEBUG: 'true', LD_PRELOAD: '/tmp/evil.so', NODE_OPTIONS: '-r x' }))).toBe(true);
    expect(forked).toHaveLength(1);
    const [test] = forked;
    expect(test!.modulePath).toBe(testModule);
    // Main's environment, llama.cpp's variables from the engine (winning), and the flag that makes it a test process.
    expect(test!.env).toEqual({ PATH: '/usr/bin', HOME: '/home/me', GGML_VK_VISIBLE_DEVICES: '0', NODE_LLAMA_CPP_DEBUG: 'true', TEST_BINDING_CP: 'true' });
    expect(relay.running).toBe(1);

    test!.events.onSpawn(777);
    test!.events.onMessage({ type: 'ready' });
    relay.handle({ type: 'binaryTest.send', id: 1, message: { type: 'start', bindingBinaryPath: '/b.node', gpu: false } });
    test!.events.onMessage({ type: 'loaded' });
    relay.handle({ type: 'binaryTest.send', id: 1, message: { type: 'test', bindingBinaryPath: '/b.node', gpu: false } });
    test!.events.onMessage({ type: 'done' });
    relay.handle({ type: 'binaryTest.send', id: 1, message: { type: 'exit' } });
    test!.events.onExit(0);

    expect(test!.posted).toEqual([
      { type: 'start', bindingBinaryPath: '/b.node', gpu: false },
      { type: 'test', bindingBinaryPath: '/b.node', gpu: false },
      { type: 'exit' },
    ]);
    expect(toEngine).toEqual([
      { type: 'binaryTest.spawn', id: 1, pid: 777 },
      { type: 'binaryTest.message', id: 1, message: { type: 'ready' } },
      { type: 'binaryTest.message', id: 1, message: { type: 'loaded' } },
      { type: 'binaryTest.message', id: 1, message: { type: 'done' } },
      { type: 'binaryTest.exit', id: 1, code: 0 },
    ]);
    expect(relay.running).toBe(0);
    // After the exit: nothing more either way, and an exit is reported once.
    test!.events.onMessage({ type: 'late' });
    test!.events.onExit(1);
    relay.handle({ type: 'binaryTest.send', id: 1, message: 'late' });
    expect(toEngine).toHaveLength(5);
    expect(test!.posted).toHaveLength(3);
  });

  it('kills on request, and the exit goes back to the engine', () => {
    const { relay, forked, toEngine } = setUp();
    relay.handle(start(3));
    relay.handle({ type: 'binaryTest.kill', id: 3 });
    expect(forked[0]!.killed).toBe(1);
    expect(toEngine).toEqual([{ type: 'binaryTest.exit', id: 3, code: 15 }]);
    relay.handle({ type: 'binaryTest.kill', id: 3 }); // already gone
    expect(forked[0]!.killed).toBe(1);
  });

  it('kills every test process when the engine exits, and sends nothing more', () => {
    const { relay, forked, toEngine } = setUp({ exitOnKill: false });
    relay.handle(start(1));
    relay.handle(start(2));
    forked[0]!.events.onMessage({ type: 'ready' });
    relay.dispose();
    expect(forked.map((test) => test.killed)).toEqual([1, 1]);
    forked[1]!.events.onMessage({ type: 'ready' });
    forked[0]!.events.onExit(9);
    expect(toEngine).toEqual([{ type: 'binaryTest.message', id: 1, message: { type: 'ready' } }]);
    expect(relay.handle(start(3))).toBe(true);
    expect(forked).toHaveLength(2);
    expect(relay.running).toBe(0);
  });

  it('refuses any module but node-llama-cpp testBindingBinary.js', () => {
    const { relay, forked, toEngine } = setUp();
    const others = [
      join(sep, 'tmp', 'evil.js'),
      testModule.replace('testBindingBinary.js', 'getPlatform.js'),
      join(sep, 'tmp', 'node_modules', 'node-llama-cpp', 'dist', 'bindings', 'utils', 'testBindingBinary.js'),
      join(testModule, '..', '..', '..', '..', '..', 'evil', 'testBindingBinary.js'),
      'testBindingBinary.js',
    ];
    others.forEach((modulePath, index) => relay.handle(start(index + 1, modulePath)));
    expect(forked).toEqual([]);
    expect(toEngine).toHaveLength(others.length);
    for (const [index, event] of toEngine.entries()) {
      expect(event).toMatchObject({ type: 'binaryTest.exit', id: index + 1, code: -1 });
      expect((event as { error?: string }).error).toMatch(/refused to run .* not node-llama-cpp's testBindingBinary\.js/);
    }
  });

  it('answers a start it cannot run, so the engine does not wait for its timeout', () => {
    const failing = setUp({ throwOnFork: true });
    failing.relay.handle(start(1));
    expect(failing.toEngine).toEqual([{ type: 'binaryTest.exit', id: 1, code: -1, error: 'could not start it: no utility process today' }]);
    expect(failing.relay.running).toBe(0);

    const { relay, forked, toEngine } = setUp({ maxRunning: 1 });
    relay.handle(start(1));
    relay.handle(start(1)); // the same id again
    relay.handle(start(2)); // over the limit
    relay.handle({ type: 'binaryTest.start', id: 3, modulePath: testModule }); // malformed: no env
    relay.handle({ type: 'binaryTest.start', id: 'x' }); // malformed, no usable id: dropped
    relay.handle({ type: 'binaryTest.bogus', id: 4 }); // unknown: dropped
    expect(forked).toHaveLength(1);
    expect(toEngine.map((event) => [event.id, event.type, (event as { error?: string }).error?.split(':')[0]])).toEqual([
      [1, 'binaryTest.exit', 'binary test 1 is already running.'],
      [2, 'binaryTest.exit', 'too many binary tests running (1).'],
      [3, 'binaryTest.exit', 'malformed request'],
    ]);
  });

  it('survives an engine that is already gone', () => {
    const forked: TestProcessEvents[] = [];
    const relay = createBinaryTestRelay({
      fork: (_path, _env, events) => {
        forked.push(events);
        return { postMessage: () => undefined, kill: () => undefined };
      },
      send: () => {
        throw new Error('engine terminated');
      },
    });
    expect(() => relay.handle(start(1))).not.toThrow();
    expect(() => forked[0]!.onMessage({ type: 'ready' })).not.toThrow();
  });
});

describe("main's engine channel with the relay", () => {
  /** An engine channel as engine-spawn.ts builds it, driven by hand. */
  function fakeChannel() {
    const listeners: Array<(message: unknown) => void> = [];
    const exits: Array<(info: { code: number | null; signal: string | null }) => void> = [];
    const sent: unknown[] = [];
    let killed = 0;
    const channel: ProcessChannel = {
      pid: 99,
      send: (message) => sent.push(message),
      onMessage: (listener) => listeners.push(listener),
      onExit: (listener) => exits.push(listener),
      kill: () => void killed++,
    };
    return {
      channel,
      sent,
      killed: () => killed,
      fromEngine: (message: unknown) => listeners.forEach((listener) => listener(message)),
      exit: (code: number) => exits.forEach((listener) => listener({ code, signal: null })),
    };
  }

  it('answers binary-test messages itself and passes only engine messages on', () => {
    const engine = fakeChannel();
    const tests: Array<{ events: TestProcessEvents; killed: number }> = [];
    const channel = withBinaryTestRelay(engine.channel, (_path, _env, events) => {
      const test = { events, killed: 0 };
      tests.push(test);
      return { postMessage: () => undefined, kill: () => void test.killed++ };
    });
    const seen: unknown[] = [];
    channel.onMessage((message) => seen.push(message));
    const exits: unknown[] = [];
    channel.onExit((info) => exits.push(info));

    engine.fromEngine({ type: 'started', pid: 99 });
    engine.fromEngine(start(1));
    engine.fromEngine({ type: 'log', level: 'info', message: 'hi' });
    tests[0]!.events.onMessage({ type: 'ready' });
    expect(seen).toEqual([{ type: 'started', pid: 99 }, { type: 'log', level: 'info', message: 'hi' }]);
    expect(engine.sent).toEqual([{ type: 'binaryTest.message', id: 1, message: { type: 'ready' } }]);

    // The rest of the channel is the engine's.
    expect(channel.pid).toBe(99);
    channel.send({ type: 'unload', id: 5 });
    expect(engine.sent.at(-1)).toEqual({ type: 'unload', id: 5 });
    channel.kill();
    expect(engine.killed()).toBe(1);

    // The engine's exit kills its test processes.
    engine.exit(0);
    expect(tests[0]!.killed).toBe(1);
    expect(exits).toEqual([{ code: 0, signal: null }]);
  });
});
