/**
 * The engine process's environment. One setting matters for speed, measured in
 * docs/performance.md ("Per-token breakdown"):
 *
 * node-llama-cpp runs every decode and every sampling step as a libuv work item, on whichever
 * of libuv's worker threads is free (4 by default). With an OpenMP build, every thread that
 * calls into llama.cpp gets its own OpenMP team, so 4 callers make 4 teams: more OpenMP
 * threads than cores, and libgomp then stops spinning at barriers and sleeps in the kernel
 * instead, several hundred times per token (564 voluntary context switches per token measured,
 * against 5 with one caller). One libuv worker thread makes every decode come from the same
 * thread, and so from one team whose threads spin between the operations of a token.
 */
export function engineProcessEnv(base: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  return { ...base, UV_THREADPOOL_SIZE: base.UV_THREADPOOL_SIZE ?? '1' };
}
