import { existsSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  BinaryTestEvent,
  BinaryTestRequest,
  bindingTestModulePath,
  isBinaryTestMessage,
  isBindingTestModule,
  pickBinaryTestEnv,
} from '../../../src/core/engine/binary-test-protocol';

const real = bindingTestModulePath();
/** Where it is in a packaged app. */
const packaged = join(sep, 'opt', 'Burrow', 'resources', 'app.asar', 'node_modules', 'node-llama-cpp', 'dist', 'bindings', 'utils', 'testBindingBinary.js');

describe("node-llama-cpp's binary test module", () => {
  it('is found where node-llama-cpp is installed', () => {
    expect(real).not.toBeNull();
    expect(real).toMatch(/node-llama-cpp[\\/]dist[\\/]bindings[\\/]utils[\\/]testBindingBinary\.js$/);
    expect(existsSync(real!)).toBe(true);
    expect(bindingTestModulePath(join(sep, 'nowhere', 'at', 'all', 'x.js'))).toBeNull();
  });

  it('is recognised by path or file URL, in app.asar or app.asar.unpacked', () => {
    expect(isBindingTestModule(real)).toBe(true);
    expect(isBindingTestModule(pathToFileURL(real!))).toBe(true);
    expect(isBindingTestModule(pathToFileURL(real!).href)).toBe(true);
    expect(isBindingTestModule(packaged, packaged)).toBe(true);
    expect(isBindingTestModule(packaged.replace(`app.asar${sep}`, `app.asar.unpacked${sep}`), packaged)).toBe(true);
    // A path that walks out and back in is the same file.
    expect(isBindingTestModule(join(dirname(real!), '..', 'utils', 'testBindingBinary.js'))).toBe(true);
  });

  it('refuses every other module', () => {
    const utils = dirname(real!);
    for (const other of [
      join(utils, 'getPlatform.js'),
      join(utils, 'testBindingBinary.js.map'),
      join(dirname(dirname(utils)), 'index.js'),
      join(sep, 'tmp', 'testBindingBinary.js'),
      join(sep, 'tmp', 'node_modules', 'node-llama-cpp', 'dist', 'bindings', 'utils', 'testBindingBinary.js'),
      join(utils, '..', '..', '..', '..', 'evil', 'testBindingBinary.js'),
      join('node_modules', 'node-llama-cpp', 'dist', 'bindings', 'utils', 'testBindingBinary.js'), // relative
      packaged.replace('app.asar', 'other.asar'),
      `${real!}\0.js`,
      '',
    ]) {
      expect(isBindingTestModule(other), other).toBe(false);
    }
    expect(isBindingTestModule(packaged.replace('app.asar', 'app.asar.evil'), packaged)).toBe(false);
    expect(isBindingTestModule(new URL('https://example.com/testBindingBinary.js'))).toBe(false);
    expect(isBindingTestModule(42)).toBe(false);
    expect(isBindingTestModule(undefined)).toBe(false);
    // Nothing is allowed when node-llama-cpp could not be found.
    expect(isBindingTestModule(real, null)).toBe(false);
    // The expected path itself must be node-llama-cpp's test module.
    expect(isBindingTestModule('/tmp/x.js', '/tmp/x.js')).toBe(false);
  });
});

describe('binary-test messages', () => {
  it('are told apart from engine messages by their type', () => {
    expect(isBinaryTestMessage({ type: 'binaryTest.start', id: 1 })).toBe(true);
    expect(isBinaryTestMessage({ type: 'binaryTest.anything' })).toBe(true);
    expect(isBinaryTestMessage({ type: 'log', level: 'info', message: 'binaryTest.' })).toBe(false);
    expect(isBinaryTestMessage({ type: 'started', pid: 1 })).toBe(false);
    expect(isBinaryTestMessage(null)).toBe(false);
    expect(isBinaryTestMessage('binaryTest.start')).toBe(false);
  });

  it('are parsed strictly', () => {
    expect(BinaryTestRequest.safeParse({ type: 'binaryTest.start', id: 1, modulePath: '/x.js', env: {} }).success).toBe(true);
    expect(BinaryTestRequest.safeParse({ type: 'binaryTest.start', id: 0, modulePath: '/x.js', env: {} }).success).toBe(false);
    expect(BinaryTestRequest.safeParse({ type: 'binaryTest.start', id: 1, modulePath: '/x.js', env: { A: 1 } }).success).toBe(false);
    expect(BinaryTestRequest.safeParse({ type: 'binaryTest.kill', id: 1, extra: true }).success).toBe(false);
    expect(BinaryTestRequest.safeParse({ type: 'binaryTest.send', id: 2, message: { type: 'start' } }).success).toBe(true);
    expect(BinaryTestEvent.safeParse({ type: 'binaryTest.exit', id: 1, code: 3221225477 }).success).toBe(true);
    expect(BinaryTestEvent.safeParse({ type: 'binaryTest.exit', id: 1, code: null }).success).toBe(false);
    expect(BinaryTestEvent.safeParse({ type: 'binaryTest.message', id: 1, message: { type: 'ready' } }).success).toBe(true);
  });

  it("carry only llama.cpp's own environment variables", () => {
    expect(
      pickBinaryTestEnv({
        GGML_VK_VISIBLE_DEVICES: '0',
        NODE_LLAMA_CPP_GPU: 'vulkan',
        CUDA_VISIBLE_DEVICES: '1',
        VK_ICD_FILENAMES: '/usr/share/vulkan/icd.d/x.json',
        PATH: '/usr/bin',
        LD_PRELOAD: '/tmp/evil.so',
        NODE_OPTIONS: '--require /tmp/evil.js',
        ELECTRON_RUN_AS_NODE: '1',
        TEST_BINDING_CP: 'true',
        GGML_UNDEFINED: undefined,
      }),
    ).toEqual({ GGML_VK_VISIBLE_DEVICES: '0', NODE_LLAMA_CPP_GPU: 'vulkan', CUDA_VISIBLE_DEVICES: '1', VK_ICD_FILENAMES: '/usr/share/vulkan/icd.d/x.json' });
    expect(pickBinaryTestEnv({ GGML_X: 'x'.repeat(5000) })).toEqual({});
    const many = Object.fromEntries(Array.from({ length: 100 }, (_, index) => [`GGML_${index}`, 'x']));
    expect(Object.keys(pickBinaryTestEnv(many))).toHaveLength(64);
  });
});
