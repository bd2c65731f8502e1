/**
 * Burrow's patches to llama.cpp (scripts/engine-patches/) against the very source
 * `npm run build:engine` builds: the git bundle inside node-llama-cpp's npm package, cloned here
 * as the build clones it. A node-llama-cpp upgrade that moves the patched code fails here, not
 * in a release build.
 */
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findProjectRoot } from '../../../src/core/process/project-root';
import { ADDON_PATCHES_DIR, applyEnginePatches, enginePatches } from '../../../scripts/engine-patches';

const packageLlama = join(findProjectRoot(), 'node_modules', 'node-llama-cpp', 'llama');
const bundle = join(packageLlama, 'gitRelease.bundle');
const dir = mkdtempSync(join(tmpdir(), 'burrow-engine-patches-'));
const source = join(dir, 'llama.cpp');

beforeAll(() => {
  execFileSync('git', ['clone', '--quiet', bundle, source], { stdio: 'ignore' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('engine patches', () => {
  it('has the KV-cache, the compute-buffer, the attention-padding, the flash-attention and the huge-page patches', () => {
    const names = enginePatches().map((path) => path.split(/[\\/]/).pop());
    expect(names).toContain('cpu-buffer-clear-skips-zero-pages.diff');
    expect(names).toContain('release-compute-pages-after-long-batches.diff');
    expect(names).toContain('pad-attention-cells-to-32-on-cpu.diff');
    expect(names).toContain('flash-attention-tiles-short-batches.diff');
    expect(names).toContain('weights-in-huge-pages.diff');
  });

  it('apply to the bundled llama.cpp once, and a second run leaves them alone', () => {
    const before = readFileSync(join(source, 'ggml', 'src', 'ggml-backend.cpp'), 'utf8');
    expect(before).not.toContain('writes only the pages that are not zero already');
    const first = applyEnginePatches(source);
    expect(first.every((result) => result.state === 'applied')).toBe(true);
    const after = readFileSync(join(source, 'ggml', 'src', 'ggml-backend.cpp'), 'utf8');
    expect(after).toContain('writes only the pages that are not zero already');
    // On Linux the clear of a buffer's own memory drops its pages rather than reading them.
    expect(after).toMatch(/buffer->iface\.free_buffer == ggml_backend_cpu_buffer_free_buffer\) \{[\s\S]*?madvise\(\(void \*\) first, last - first, MADV_DONTNEED\)/);
    // ... and a large write into that memory (a restored conversation's KV cells) maps its pages in one call.
    expect(after).toMatch(/static void ggml_backend_cpu_buffer_set_tensor[\s\S]*?madvise\(\(void \*\) first, last - first, BURROW_MADV_POPULATE_WRITE\);[\s\S]*?memcpy/);
    expect(applyEnginePatches(source).every((result) => result.state === 'already')).toBe(true);
    expect(readFileSync(join(source, 'ggml', 'src', 'ggml-backend.cpp'), 'utf8')).toBe(after);
    // The compute buffer's pages go back after a long batch, from the one place every decode ends.
    expect(after).toContain('ggml_backend_sched_release_host_pages');
    const decode = readFileSync(join(source, 'src', 'llama-context.cpp'), 'utf8');
    expect(decode).toMatch(/if \(batch_inp\.n_tokens >= 32\) \{\s+ggml_backend_sched_synchronize\(sched\.get\(\)\);\s+ggml_backend_sched_release_host_pages\(sched\.get\(\)\);/);
    expect(readFileSync(join(source, 'ggml', 'src', 'ggml-alloc.c'), 'utf8')).toContain('madvise((void *) start, end - start, MADV_DONTNEED)');
    // Attention reads cells padded to 32, not 256, when the whole KV cache is in CPU memory.
    const cache = readFileSync(join(source, 'src', 'llama-kv-cache.cpp'), 'utf8');
    expect(cache).toContain('const uint32_t n_pad_cur = std::max(n_pad, n_pad_min);');
    expect(cache).not.toContain('std::max(n_pad, 256u)');
    expect(readFileSync(join(source, 'src', 'llama-kv-cache.h'), 'utf8')).toContain('uint32_t n_pad_min = 32;');
    // The tiled flash-attention kernel runs from 8 queries and multiplies only a tile's valid rows.
    const ops = readFileSync(join(source, 'ggml', 'src', 'ggml-cpu', 'ops.cpp'), 'utf8');
    expect(ops).toContain('neq1 >= Q_TILED_MIN);');
    expect(ops).toContain('simd_gemm(KQ, (const float *)Q_q, K_f32, tile_rows, DK, KV_TILE_SZ);');
    expect(ops).toContain('simd_gemm(VKQ32, KQ, V32, tile_rows, KV_TILE_SZ, DV);');
    expect(ops).not.toContain('simd_gemm(VKQ32, KQ, V32, Q_TILE_SZ, KV_TILE_SZ, DV);');
    // A model's weights in CPU memory ask for 2 MiB pages before they are read in; nothing else does.
    const loader = readFileSync(join(source, 'src', 'llama-model.cpp'), 'utf8');
    expect(loader).toMatch(/madvise\(\(void \*\) begin, end - begin, MADV_HUGEPAGE\)/);
    expect(loader).toMatch(/if \(!ml\.no_alloc && ggml_backend_dev_type\(dev\) == GGML_BACKEND_DEVICE_TYPE_CPU\) \{\s+llama_weights_want_huge_pages\(buf\);/);
  });

  it('stop with the patch name when the code they patch has moved', () => {
    execFileSync('git', ['checkout', '--quiet', '--', '.'], { cwd: source });
    const file = join(source, 'ggml', 'src', 'ggml-backend.cpp');
    writeFileSync(file, readFileSync(file, 'utf8').replace('memset(buffer->context, value, buffer->size);', 'memset(buffer->context, value, buffer->size); // moved'));
    expect(() => applyEnginePatches(source)).toThrow(/cpu-buffer-clear-skips-zero-pages\.diff does not apply/);
  });

  it("patch node-llama-cpp's addon so that decodes and sampling run on the calling thread", () => {
    expect(enginePatches(ADDON_PATCHES_DIR).map((path) => path.split(/[\\/]/).pop())).toEqual(['decode-on-the-calling-thread.diff']);
    // The package's own addon source, copied; on a machine that built the engine it is patched
    // already, so the copy is taken back to the package's version first.
    const addon = join(dir, 'addon-source');
    cpSync(join(packageLlama, 'addon'), join(addon, 'addon'), { recursive: true });
    const patch = enginePatches(ADDON_PATCHES_DIR)[0] ?? '';
    try {
      execFileSync('git', ['apply', '--check', '--reverse', patch], { cwd: addon, stdio: 'ignore' });
      execFileSync('git', ['apply', '--reverse', patch], { cwd: addon, stdio: 'ignore' });
    } catch {
      // not patched: the package's version as it is
    }
    const file = join(addon, 'addon', 'AddonContext.cpp');
    const before = readFileSync(file, 'utf8');
    expect(before).toMatch(/AddonContext::DecodeBatch\(const Napi::CallbackInfo& info\) \{\s+AddonContextDecodeBatchWorker\* worker = new AddonContextDecodeBatchWorker\(info\.Env\(\), this\);\s+worker->Queue\(\);/);
    expect(applyEnginePatches(addon, ADDON_PATCHES_DIR)).toEqual([{ patch: 'decode-on-the-calling-thread.diff', state: 'applied' }]);
    const after = readFileSync(file, 'utf8');
    const methods = after.slice(after.indexOf('Napi::Value AddonContext::DecodeBatch'), after.indexOf('Napi::Value AddonContext::GetEmbedding'));
    expect(methods.match(/worker->RunInline\(\);/g)).toHaveLength(2);
    expect(methods).not.toContain('Queue()');
    expect(applyEnginePatches(addon, ADDON_PATCHES_DIR)).toEqual([{ patch: 'decode-on-the-calling-thread.diff', state: 'already' }]);
    expect(readFileSync(file, 'utf8')).toBe(after);
  });
});
