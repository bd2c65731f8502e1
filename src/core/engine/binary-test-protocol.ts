/**
 * node-llama-cpp's binary test, run on the engine's behalf by the Electron main process.
 *
 * Before it loads a prebuilt llama.cpp binary (always on Linux, for GPU builds on Windows),
 * node-llama-cpp loads it once in a throwaway process (its `testBindingBinary.js`), so that an
 * incompatible binary crashes that process rather than the engine. Inside our engine — an
 * Electron utilityProcess — it can only start that process with `child_process.fork`, which
 * in Electron needs ELECTRON_RUN_AS_NODE, which the packaged app's RunAsNode fuse forbids
 * (SECURITY.md): the test would fail and no binary would load. So the engine replaces `fork`
 * for that one module (binary-test-proxy.ts) with a proxy over its parent port, and main runs
 * the test as a utilityProcess of its own (src/main/binary-test-relay.ts).
 *
 * These messages share the engine's port with protocol.ts's, but are not part of it: main
 * answers them itself (EngineHost never sees them) and the worker hands them to the proxy.
 * Every `type` starts with `binaryTest.`. Plain Node (CLI, tests) never uses them.
 */
import { createRequire } from 'node:module';
import { dirname, isAbsolute, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

const PREFIX = 'binaryTest.';

/** Chosen by the engine, one per forked test process. */
const TestId = z.number().int().positive();

/** Environment variables that may change how llama.cpp loads (see pickBinaryTestEnv). */
const ENV_PREFIXES = ['NODE_LLAMA_CPP_', 'GGML_', 'LLAMA_', 'VK_', 'CUDA_', 'HIP_', 'ROCR_'] as const;
const MAX_ENV_ENTRIES = 64;
const MAX_ENV_VALUE = 4096;

const TestEnv = z
  .record(z.string().max(256), z.string().max(MAX_ENV_VALUE))
  .refine((env) => Object.keys(env).length <= MAX_ENV_ENTRIES, 'too many environment variables');

/** Engine → main. */
export const BinaryTestRequest = z.discriminatedUnion('type', [
  /** Start node-llama-cpp's testBindingBinary.js; `env` holds only pickBinaryTestEnv's variables. */
  z.strictObject({ type: z.literal('binaryTest.start'), id: TestId, modulePath: z.string().min(1).max(4096), env: TestEnv }),
  /** A message for the test process (`subprocess.send`). */
  z.strictObject({ type: z.literal('binaryTest.send'), id: TestId, message: z.unknown() }),
  z.strictObject({ type: z.literal('binaryTest.kill'), id: TestId }),
]);
export type BinaryTestRequest = z.infer<typeof BinaryTestRequest>;

/** Main → engine. */
export const BinaryTestEvent = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('binaryTest.spawn'), id: TestId, pid: z.number().int() }),
  /** A message from the test process. */
  z.strictObject({ type: z.literal('binaryTest.message'), id: TestId, message: z.unknown() }),
  /**
   * The test process is gone (always sent once per start, last). `code` is -1 when it never
   * ran: refused or failed to start, with the reason in `error`.
   */
  z.strictObject({ type: z.literal('binaryTest.exit'), id: TestId, code: z.number().int(), error: z.string().optional() }),
]);
export type BinaryTestEvent = z.infer<typeof BinaryTestEvent>;

/** Whether a message on the engine's port belongs to the binary test (parsed or not). */
export function isBinaryTestMessage(raw: unknown): boolean {
  if (typeof raw !== 'object' || raw === null) return false;
  const type = (raw as { type?: unknown }).type;
  return typeof type === 'string' && type.startsWith(PREFIX);
}

/**
 * The variables of `env` the test process takes from the engine: those that steer how
 * llama.cpp finds and picks its backends and devices. Everything else (PATH, LD_*, NODE_*,
 * ELECTRON_*) comes from main's own environment, which the engine inherited anyway.
 */
export function pickBinaryTestEnv(env: NodeJS.ProcessEnv | Record<string, unknown>): Record<string, string> {
  const picked: Record<string, string> = {};
  let count = 0;
  for (const [key, value] of Object.entries(env)) {
    if (count >= MAX_ENV_ENTRIES) break;
    if (typeof value !== 'string' || value.length > MAX_ENV_VALUE || key.length > 256) continue;
    if (!ENV_PREFIXES.some((prefix) => key.toUpperCase().startsWith(prefix))) continue;
    picked[key] = value;
    count++;
  }
  return picked;
}

/**
 * Where node-llama-cpp's testBindingBinary.js is, as the module system resolves the package
 * from `from` (default: this file, i.e. the app's own node_modules — inside app.asar when
 * packaged). null when node-llama-cpp cannot be resolved.
 */
export function bindingTestModulePath(from: string | URL = import.meta.url): string | null {
  try {
    const entry = createRequire(from).resolve('node-llama-cpp'); // …/node-llama-cpp/dist/index.js
    return join(dirname(entry), 'bindings', 'utils', 'testBindingBinary.js');
  } catch {
    return null;
  }
}

const TEST_MODULE_TAIL = join('node-llama-cpp', 'dist', 'bindings', 'utils', 'testBindingBinary.js');

/**
 * Whether `candidate` (a path or file URL) is node-llama-cpp's own testBindingBinary.js: the
 * file at `expected` (default bindingTestModulePath()), or its twin in app.asar.unpacked.
 * Nothing else may be forked through the proxy or started by main.
 */
export function isBindingTestModule(candidate: unknown, expected: string | null = bindingTestModulePath()): boolean {
  if (expected === null) return false;
  const path = toFilePath(candidate);
  if (path === null || !isAbsolute(path)) return false;
  const mine = canonical(path);
  return mine === canonical(expected) && mine.endsWith(foldCase(sep + TEST_MODULE_TAIL));
}

/** A module path given to `fork`, as a file path; null for anything that is not a local file. */
export function toFilePath(modulePath: unknown): string | null {
  try {
    if (modulePath instanceof URL) return modulePath.protocol === 'file:' ? fileURLToPath(modulePath) : null;
    if (typeof modulePath !== 'string' || modulePath.length === 0 || modulePath.includes('\0')) return null;
    return modulePath.startsWith('file:') ? fileURLToPath(modulePath) : modulePath;
  } catch {
    return null;
  }
}

/** One spelling per file: resolved, `.asar.unpacked` folded into `.asar`, case-folded on Windows. */
function canonical(path: string): string {
  return foldCase(resolve(path).split(`.asar.unpacked${sep}`).join(`.asar${sep}`));
}

function foldCase(path: string): string {
  return process.platform === 'win32' ? path.toLowerCase() : path;
}
