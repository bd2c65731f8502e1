/**
 * The engine's fork proxy for node-llama-cpp's binary test, with a fake parent port standing
 * in for Electron's. The last group runs node-llama-cpp's real testBindingBinary() (its
 * parent side) against the proxy, with a scripted "main" answering as the test process would.
 */
import childProcess, { type ChildProcess, type ForkOptions } from 'node:child_process';
import { pathToFileURL } from 'node:url';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { bindingTestModulePath, type BinaryTestEvent, type BinaryTestRequest } from '../../../src/core/engine/binary-test-protocol';
import {
  BinaryTestProcess,
  createBinaryTestFork,
  inElectronUtilityProcess,
  installBinaryTestForkProxy,
  replaceChildProcessFork,
  type BinaryTestPort,
} from '../../../src/core/engine/binary-test-proxy';

const testModule = bindingTestModulePath()!;

/** A parent port: what the engine sends is recorded, `deliver` plays main's messages. */
class FakePort implements BinaryTestPort {
  sent: BinaryTestRequest[] = [];
  #listeners: Array<(message: unknown) => void> = [];
  /** Called for each message the engine sends (a scripted main). */
  onSend: (request: BinaryTestRequest) => void = () => undefined;

  send(message: unknown): void {
    this.sent.push(message as BinaryTestRequest);
    this.onSend(message as BinaryTestRequest);
  }
  onMessage(listener: (message: unknown) => void): void {
    this.#listeners.push(listener);
  }
  deliver(message: BinaryTestEvent | Record<string, unknown>): void {
    for (const listener of this.#listeners) listener(message);
  }
}

function setUp(): { port: FakePort; original: ReturnType<typeof vi.fn>; fork: typeof childProcess.fork; logs: string[] } {
  const port = new FakePort();
  const original = vi.fn(() => ({ original: true }) as unknown as ChildProcess);
  const logs: string[] = [];
  const fork = createBinaryTestFork({ original: original as unknown as typeof childProcess.fork, port, log: (level, message) => logs.push(`${level}: ${message}`) });
  return { port, original, fork, logs };
}

/** What testBindingBinary.js passes. */
const forkOptions = (env: NodeJS.ProcessEnv = process.env): ForkOptions => ({ detached: false, silent: true, stdio: ['ignore', 'ignore', 'ignore', 'ipc'], env: { ...env, TEST_BINDING_CP: 'true' } });

describe('the binary-test fork proxy', () => {
  it('passes every other fork to the original, unchanged', () => {
    const { port, original, fork } = setUp();
    const options = { env: { A: '1' } };
    const self = { me: true };
    const result = fork.call(self, '/app/other-script.js', ['--flag'], options);
    expect(result).toEqual({ original: true });
    expect(original).toHaveBeenCalledTimes(1);
    expect(original.mock.calls[0]).toEqual(['/app/other-script.js', ['--flag'], options]);
    expect(original.mock.contexts[0]).toBe(self);
    fork(pathToFileURL('/app/other.js'));
    fork(testModule.replace('testBindingBinary.js', 'getPlatform.js'), forkOptions());
    expect(original).toHaveBeenCalledTimes(3);
    expect(port.sent).toEqual([]);
  });

  it("proxies testBindingBinary.js over the port, in the order node-llama-cpp's test runs", () => {
    const { port, original, fork } = setUp();
    const child = fork(testModule, [], forkOptions({ PATH: '/usr/bin', LD_PRELOAD: '/x.so', GGML_VK_VISIBLE_DEVICES: '0' }));
    expect(original).not.toHaveBeenCalled();
    expect(child).toBeInstanceOf(BinaryTestProcess);
    // What testBindingBinary.js reads right after fork.
    expect(child.killed).toBe(false);
    expect(child.exitCode).toBeNull();
    expect(child.stdout?.on).toBeUndefined();
    expect(child.stderr).toBeNull();
    expect(port.sent).toEqual([{ type: 'binaryTest.start', id: 1, modulePath: testModule, env: { GGML_VK_VISIBLE_DEVICES: '0' } }]);

    const events: unknown[] = [];
    child.on('spawn', () => events.push(['spawn', child.pid]));
    child.on('message', (message) => events.push(['message', message]));
    child.on('exit', (code, signal) => events.push(['exit', code, signal, child.exitCode]));

    port.deliver({ type: 'binaryTest.spawn', id: 1, pid: 4242 });
    port.deliver({ type: 'binaryTest.message', id: 1, message: { type: 'ready' } });
    expect(child.send({ type: 'start', bindingBinaryPath: '/b.node', gpu: false })).toBe(true);
    port.deliver({ type: 'binaryTest.message', id: 1, message: { type: 'loaded' } });
    expect(child.send({ type: 'test', bindingBinaryPath: '/b.node', gpu: false })).toBe(true);
    port.deliver({ type: 'binaryTest.message', id: 1, message: { type: 'done' } });
    expect(child.send({ type: 'exit' })).toBe(true);
    port.deliver({ type: 'binaryTest.exit', id: 1, code: 0 });

    expect(events).toEqual([
      ['spawn', 4242],
      ['message', { type: 'ready' }],
      ['message', { type: 'loaded' }],
      ['message', { type: 'done' }],
      ['exit', 0, null, 0],
    ]);
    expect(port.sent.slice(1)).toEqual([
      { type: 'binaryTest.send', id: 1, message: { type: 'start', bindingBinaryPath: '/b.node', gpu: false } },
      { type: 'binaryTest.send', id: 1, message: { type: 'test', bindingBinaryPath: '/b.node', gpu: false } },
      { type: 'binaryTest.send', id: 1, message: { type: 'exit' } },
    ]);
    // Gone: nothing more goes out, nothing more comes in.
    expect(child.send({ type: 'late' })).toBe(false);
    expect(child.kill('SIGKILL')).toBe(false);
    port.deliver({ type: 'binaryTest.message', id: 1, message: { type: 'late' } });
    port.deliver({ type: 'binaryTest.exit', id: 1, code: 1 });
    expect(events).toHaveLength(5);
    expect(child.exitCode).toBe(0);
    expect(port.sent).toHaveLength(4);
  });

  it('reports a failed test with its exit code', () => {
    const { port, fork } = setUp();
    const child = fork(testModule, forkOptions()); // fork(modulePath, options) works too
    const exits: unknown[] = [];
    child.on('exit', (code) => exits.push(code));
    port.deliver({ type: 'binaryTest.message', id: 1, message: { type: 'ready' } });
    port.deliver({ type: 'binaryTest.exit', id: 1, code: 1 });
    expect(exits).toEqual([1]);
    expect(child.exitCode).toBe(1);
  });

  it('asks main to kill, and exits when main says so', () => {
    const { port, fork } = setUp();
    const child = fork(pathToFileURL(testModule), [], forkOptions());
    const exits: unknown[] = [];
    child.on('exit', (code) => exits.push(code));
    expect(child.kill('SIGKILL')).toBe(true);
    expect(child.killed).toBe(true);
    expect(port.sent.at(-1)).toEqual({ type: 'binaryTest.kill', id: 1 });
    expect(exits).toEqual([]);
    port.deliver({ type: 'binaryTest.exit', id: 1, code: 137 });
    expect(exits).toEqual([137]);
  });

  it('keeps concurrent tests apart and ignores what is not its own', () => {
    const { port, fork, logs } = setUp();
    const first = fork(testModule, [], forkOptions());
    const second = fork(testModule, [], forkOptions());
    const got: unknown[] = [];
    first.on('message', (message) => got.push(['first', message]));
    second.on('message', (message) => got.push(['second', message]));
    port.deliver({ type: 'binaryTest.message', id: 2, message: 'b' });
    port.deliver({ type: 'binaryTest.message', id: 1, message: 'a' });
    port.deliver({ type: 'binaryTest.message', id: 99, message: 'nobody' });
    port.deliver({ type: 'load', id: 1, path: '/m.gguf', settings: {} });
    port.deliver({ type: 'binaryTest.exit', id: 1 }); // malformed: no code
    expect(got).toEqual([
      ['second', 'b'],
      ['first', 'a'],
    ]);
    expect(first.exitCode).toBeNull();
    expect(logs.some((line) => line.startsWith('warn: Ignored a malformed binary-test message'))).toBe(true);
  });

  it("logs main's refusal and exits with -1", () => {
    const { port, fork, logs } = setUp();
    const child = fork(testModule, [], forkOptions());
    const exits: unknown[] = [];
    child.on('exit', (code) => exits.push(code));
    port.deliver({ type: 'binaryTest.exit', id: 1, code: -1, error: 'refused' });
    expect(exits).toEqual([-1]);
    expect(logs).toContain('warn: The llama.cpp binary test could not run: refused');
  });

  it('calls a send callback like ChildProcess#send', async () => {
    const { port, fork } = setUp();
    const child = fork(testModule, [], forkOptions());
    const before = await new Promise((resolve) => child.send('x', resolve));
    expect(before).toBeNull();
    port.deliver({ type: 'binaryTest.exit', id: 1, code: 0 });
    const after = await new Promise((resolve) => child.send('y', resolve));
    expect(after).toBeInstanceOf(Error);
  });

  it('is not installed in plain Node, where fork works', () => {
    expect(inElectronUtilityProcess()).toBe(false);
    const fork = childProcess.fork;
    expect(installBinaryTestForkProxy(new FakePort())).toBe(false);
    expect(childProcess.fork).toBe(fork);
  });
});

describe("node-llama-cpp's testBindingBinary() through the proxy", () => {
  let restore: (() => void) | undefined;
  afterEach(() => {
    restore?.();
    restore = undefined;
  });

  type TestBindingBinary = (bindingBinaryPath: string, extBackendsPath: string | undefined, gpu: string | false, testTimeout?: number) => Promise<boolean>;

  /** Imported before the proxy is installed, as in the built worker (its imports are hoisted). */
  async function load(): Promise<TestBindingBinary> {
    const module = (await import(pathToFileURL(testModule).href)) as { testBindingBinary: TestBindingBinary };
    return module.testBindingBinary;
  }

  /** Main and the test process, scripted: `script` decides how the test process answers. */
  function install(script: (request: BinaryTestRequest, reply: (event: BinaryTestEvent) => void) => void): FakePort {
    const port = new FakePort();
    const reply = (event: BinaryTestEvent): void => void setImmediate(() => port.deliver(event));
    port.onSend = (request) => script(request, reply);
    restore = replaceChildProcessFork((original) => createBinaryTestFork({ original, port }));
    return port;
  }

  /** The real test process's protocol (testBindingBinary.js, bottom), with a binary that loads or not. */
  const testProcess =
    (outcome: 'passes' | 'crashes on load' | 'fails the test') =>
    (request: BinaryTestRequest, reply: (event: BinaryTestEvent) => void): void => {
      const { id } = request;
      if (request.type === 'binaryTest.start') {
        reply({ type: 'binaryTest.spawn', id, pid: 1234 });
        reply({ type: 'binaryTest.message', id, message: { type: 'ready' } });
        return;
      }
      if (request.type === 'binaryTest.kill') return reply({ type: 'binaryTest.exit', id, code: 143 });
      const message = request.message as { type: string };
      if (message.type === 'start') {
        if (outcome === 'crashes on load') return reply({ type: 'binaryTest.exit', id, code: 1 });
        reply({ type: 'binaryTest.message', id, message: { type: 'loaded' } });
      } else if (message.type === 'test') {
        if (outcome === 'fails the test') return reply({ type: 'binaryTest.exit', id, code: 1 });
        reply({ type: 'binaryTest.message', id, message: { type: 'done' } });
      } else if (message.type === 'exit') {
        reply({ type: 'binaryTest.exit', id, code: 0 });
      }
    };

  it('passes when the test process reports done and exits 0', async () => {
    const testBindingBinary = await load();
    const port = install(testProcess('passes'));
    await expect(testBindingBinary('/bins/llama-addon.node', undefined, false, 10_000)).resolves.toBe(true);
    expect(port.sent.map((request) => (request.type === 'binaryTest.send' ? (request.message as { type: string }).type : request.type))).toEqual([
      'binaryTest.start',
      'start',
      'test',
      'exit',
    ]);
    expect(port.sent[0]).toMatchObject({ modulePath: testModule });
    expect(port.sent[1]).toMatchObject({ message: { bindingBinaryPath: '/bins/llama-addon.node', gpu: false } });
  });

  it('fails when the binary cannot be loaded or tested', async () => {
    const testBindingBinary = await load();
    install(testProcess('crashes on load'));
    await expect(testBindingBinary('/bins/llama-addon.node', undefined, 'vulkan', 10_000)).resolves.toBe(false);
    restore?.();
    install(testProcess('fails the test'));
    await expect(testBindingBinary('/bins/llama-addon.node', undefined, 'vulkan', 10_000)).resolves.toBe(false);
  });

  it('rejects as node-llama-cpp does when main refuses to run the test', async () => {
    const testBindingBinary = await load();
    install((request, reply) => {
      if (request.type === 'binaryTest.start') reply({ type: 'binaryTest.exit', id: request.id, code: -1, error: 'refused' });
    });
    await expect(testBindingBinary('/bins/llama-addon.node', undefined, false, 10_000)).rejects.toThrow(/failed to run a test process/);
  });

  it('kills the test process when it times out', async () => {
    const testBindingBinary = await load();
    const port = install((request, reply) => {
      if (request.type === 'binaryTest.kill') reply({ type: 'binaryTest.exit', id: request.id, code: 143 });
    });
    await expect(testBindingBinary('/bins/llama-addon.node', undefined, false, 200)).rejects.toThrow(/timed out/);
    expect(port.sent.map((request) => request.type)).toEqual(['binaryTest.start', 'binaryTest.kill']);
  });
});
