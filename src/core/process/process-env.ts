/**
 * The child processes' environment and V8 flags, for either way of starting them (Node child,
 * Electron utilityProcess).
 *
 * The engine process's, measured in docs/performance.md.
 *
 * Speed ("Per-token breakdown"): node-llama-cpp runs every decode and every sampling step as a
 * libuv work item, on whichever of libuv's worker threads is free (4 by default). With an
 * OpenMP build, every thread that calls into llama.cpp gets its own OpenMP team, so 4 callers
 * make 4 teams: more OpenMP threads than cores, and libgomp then stops spinning at barriers and
 * sleeps in the kernel instead, several hundred times per token (564 voluntary context
 * switches per token measured, against 5 with one caller). One libuv worker thread makes every
 * decode come from the same thread, and so from one team whose threads spin between the
 * operations of a token. The cost: the engine's other libuv work (file reads) waits for the
 * decode in progress, which is at most one batch. Burrow's own engine build goes further and
 * decodes on the JavaScript thread itself ("Decoding on the calling thread",
 * scripts/engine-patches/addon/); the single worker still serves the prebuilt fallback.
 *
 * Memory ("Engine memory"), TinyLlama-shaped Q4_0, resident after a reply:
 *   - V8's young generation grows to 16 MB semi-spaces by default; the engine allocates little
 *     JavaScript per token, and 1 MB semi-spaces took 55 MB off the engine's RSS.
 *   - glibc gives each thread that allocates its own malloc arena, each keeping freed memory;
 *     two arenas took 17 MB more off.
 *   - glibc serves allocations above a threshold with their own mmap, given back on free, but it
 *     raises that threshold to the size of each such block freed (up to 32 MB). Loading frees
 *     tensor-sized read buffers, after which everything below them came from the heap and stayed
 *     resident when freed: the heap held 35 MB after a reply. A fixed threshold (which stops the
 *     raising) and trimming the heap's top at the same size left 11 MB, about 20 MB less RSS.
 *     But at 128 KiB every larger block of every token was a fresh mapping, faulted in page by
 *     page and unmapped again, 1 000–3 600 page faults per 128-token answer, and generation was
 *     3–5 % slower than with the threshold at 32 MiB (docs/performance.md, "The process around
 *     the engine"). A fixed 32 MiB threshold and a 64 MiB trim keep the raising off for 14 MB
 *     more RSS than 128 KiB.
 */
export function engineProcessEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return {
    ...base,
    UV_THREADPOOL_SIZE: base.UV_THREADPOOL_SIZE ?? '1',
    MALLOC_ARENA_MAX: base.MALLOC_ARENA_MAX ?? '2',
    MALLOC_MMAP_THRESHOLD_: base.MALLOC_MMAP_THRESHOLD_ ?? String(32 * 1024 * 1024),
    MALLOC_TRIM_THRESHOLD_: base.MALLOC_TRIM_THRESHOLD_ ?? String(64 * 1024 * 1024),
  };
}

/** V8 flags for the engine process (Node child or Electron utilityProcess). */
export const ENGINE_EXEC_ARGV: readonly string[] = Object.freeze(['--max-semi-space-size=1']);

/** V8 heap limit of the extraction process, in MB (its whole resident size stays under ~600 MB). */
export const WORKER_HEAP_MB = 384;

/** The extraction process's heap cap as a Node/Electron command-line flag, for any spawner. */
export function heapLimitArgs(heapMb: number = WORKER_HEAP_MB): string[] {
  return [`--max-old-space-size=${heapMb}`];
}
