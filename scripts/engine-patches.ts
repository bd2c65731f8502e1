/**
 * Burrow's patches to the llama.cpp source it builds its engine from (scripts/engine-patches/*.diff),
 * and to node-llama-cpp's native addon that binds it (scripts/engine-patches/addon/*.diff, against
 * the package's `llama/` folder), applied by `npm run build:engine` after node-llama-cpp clones the
 * source and before it builds. The prebuilt binaries carry none of them.
 * Each is small, explained at the top of its change, and applied once: a patch already in the
 * tree is left alone, and one that no longer applies stops the build with its name rather than
 * building an engine without it (scripts/build-engine.ts first clones the source again, once, for
 * a tree that holds an earlier version of a patch; what still fails is a node-llama-cpp upgrade
 * that moved the code).
 *
 * - cpu-buffer-clear-skips-zero-pages: a context's KV cache is cleared to zero when it is
 *   created, which made all of it resident at once (44 MiB for TinyLlama's 2 048 tokens in f16)
 *   although a reply fills a fraction of it. On Linux the clear now drops the buffer's pages
 *   (`madvise`, no read: reading fresh memory makes it resident on kernels without a shared
 *   zero page); elsewhere it writes only the pages that are not zero already. A large write
 *   into such a buffer (a conversation restored from disk) maps its pages in one
 *   `MADV_POPULATE_WRITE` before the copy rather than a fault per page during it
 *   (docs/performance.md, "Engine memory").
 * - release-compute-pages-after-long-batches: a batch of many tokens (a prompt) touches the whole
 *   compute buffer, and without flash attention that holds the attention scores of the batch
 *   against the whole cache; after such a batch its pages go back to the system (Linux
 *   madvise), so the generation that follows, touching a few percent of it, does not keep it
 *   all resident (docs/performance.md, "Flash attention").
 * - pad-attention-cells-to-32-on-cpu: attention reads the KV cells up to n_kv, which llama.cpp
 *   pads to 256 so a graph can be reused; without flash attention the CPU computes every one of
 *   them, masked or not. With the whole cache in CPU memory the padding is 32: generation early
 *   in a context is about 7 % faster (docs/performance.md, "Attention padding").
 * - flash-attention-tiles-short-batches: the CPU flash-attention kernel's tiled path (a tile of
 *   queries against each tile of the KV cache, as matrix products) ran only for batches of 64
 *   tokens or more, and computed all 64 rows of a partial tile. It now computes only the valid
 *   rows and runs from 8 queries: a follow-up of a few dozen tokens over a long conversation is
 *   about 1.4 x faster, and flash attention can be on by default (docs/performance.md,
 *   "Flash attention, again").
 * - weights-in-huge-pages: a model's weights in CPU memory are advised into 2 MiB pages
 *   (`madvise(MADV_HUGEPAGE)`, Linux) before they are read in. Every token reads all of them, and
 *   where transparent huge pages are "madvise" only (most desktop distributions) they sat in
 *   4 KiB pages: generation 3-8 % faster on the bench models. The KV cache and compute buffers
 *   are left alone, so their untouched memory stays out of the resident set (docs/performance.md,
 *   "Weights in huge pages").
 *
 * The addon's:
 * - decode-on-the-calling-thread: every decode and sampling call runs on the JavaScript thread that
 *   makes it rather than on a libuv worker: no thread hand-offs per token, one OpenMP team for every
 *   computation. A sample's promise is settled at once, a decode's from setImmediate, so the event
 *   loop still takes a turn after every decode (docs/performance.md, "Decoding on the calling thread").
 */
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

export const PATCHES_DIR = join(import.meta.dirname, 'engine-patches');
/** Patches to node-llama-cpp's addon, applied to its package's `llama/` folder. */
export const ADDON_PATCHES_DIR = join(PATCHES_DIR, 'addon');

export function enginePatches(dir: string = PATCHES_DIR): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith('.diff'))
    .sort()
    .map((name) => join(dir, name));
}

function gitApplies(sourceDir: string, patch: string, reverse: boolean): boolean {
  try {
    execFileSync('git', ['apply', '--check', ...(reverse ? ['--reverse'] : []), patch], { cwd: sourceDir, stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** Applies every patch of `dir` not yet in `sourceDir`; returns what happened to each, by file name. */
export function applyEnginePatches(sourceDir: string, dir: string = PATCHES_DIR): { patch: string; state: 'applied' | 'already' }[] {
  return enginePatches(dir).map((patch) => {
    const name = patch.slice(dir.length + 1);
    if (gitApplies(sourceDir, patch, true)) return { patch: name, state: 'already' as const };
    if (!gitApplies(sourceDir, patch, false)) throw new Error(`the engine patch ${name} does not apply to ${sourceDir}: update it for this version of node-llama-cpp`);
    execFileSync('git', ['apply', patch], { cwd: sourceDir, stdio: 'ignore' });
    return { patch: name, state: 'applied' as const };
  });
}
