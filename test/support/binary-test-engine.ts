/**
 * A stand-in for the engine utility process, for test/integration/binary-test-proxy.test.ts:
 * a plain Node child whose IPC channel plays the part of Electron's `process.parentPort`. It
 * installs the fork proxy over that channel — exactly as the worker does in Electron — and
 * runs node-llama-cpp's real testBindingBinary() or getLlama() when asked. Its parent plays
 * main, with the real relay.
 *
 * Requests: { type: 'run', what: 'testBindingBinary', bindingPath, extBackendsPath?, gpu }
 *           { type: 'run', what: 'getLlama' }
 * Answers:  { type: 'result', ok: true, value } | { type: 'result', ok: false, error }
 */
import { pathToFileURL } from 'node:url';
import { bindingTestModulePath } from '../../src/core/engine/binary-test-protocol';
import { createBinaryTestFork, replaceChildProcessFork, type BinaryTestPort } from '../../src/core/engine/binary-test-proxy';

type TestBindingBinary = (bindingBinaryPath: string, extBackendsPath: string | undefined, gpu: string | false, testTimeout?: number) => Promise<boolean>;
interface RunRequest {
  type: 'run';
  what: 'testBindingBinary' | 'getLlama';
  bindingPath?: string;
  extBackendsPath?: string;
  gpu?: string | false;
}

const send = process.send?.bind(process);
if (send === undefined) throw new Error('Start me with an IPC channel.');
const port: BinaryTestPort = {
  send: (message) => void send(message),
  onMessage: (listener) => process.on('message', listener),
};

// node-llama-cpp is imported first, as in the built worker (whose imports are hoisted):
// the proxy must still reach its `import { fork }` (a live binding).
const testModule = bindingTestModulePath();
if (testModule === null) throw new Error('node-llama-cpp is not installed.');
const { testBindingBinary } = (await import(pathToFileURL(testModule).href)) as { testBindingBinary: TestBindingBinary };
const { getLlama, LlamaLogLevel } = await import('node-llama-cpp');
const { NO_LOCAL_BUILD } = await import('../../src/core/engine/engine-build');

replaceChildProcessFork((original) => createBinaryTestFork({ original, port }));

async function run(request: RunRequest): Promise<unknown> {
  if (request.what === 'testBindingBinary') {
    return testBindingBinary(request.bindingPath ?? '', request.extBackendsPath, request.gpu ?? false, 60_000);
  }
  // The prebuilt binary (the one Linux tests first), even where a local build exists (npm run build:engine).
  const llama = await getLlama({ gpu: false, build: 'never', usePrebuiltBinaries: true, cmakeOptions: { ...NO_LOCAL_BUILD }, progressLogs: false, logLevel: LlamaLogLevel.error });
  const value = { gpu: llama.gpu, buildType: llama.buildType };
  await llama.dispose();
  return value;
}

process.on('message', (message: { type?: unknown }) => {
  if (message.type !== 'run') return;
  run(message as RunRequest).then(
    (value) => send({ type: 'result', ok: true, value }),
    (error: unknown) => send({ type: 'result', ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});
send({ type: 'ready' });
