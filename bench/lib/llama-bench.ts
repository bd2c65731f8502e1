/**
 * Baseline 1: llama.cpp's own llama-bench, built from the llama.cpp source node-llama-cpp ships
 * in its npm package (llama/gitRelease.bundle, a git bundle of the release it was built from):
 * no network. Built once (nice -n 10: the machine is shared) into the benchmark's cache folder.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { arch, cpus } from 'node:os';
import { join } from 'node:path';
import { NO_AMX_OPTIONS } from '../../src/core/engine/engine-build';
import { findProjectRoot } from '../../src/core/process/project-root';
import { BENCH_MODEL_VERSION, benchModelPath } from '../model';

export function llamaBenchBinary(cacheDir: string): string {
  return llamaTool(cacheDir, 'llama-bench');
}

/** A tool built from the same llama.cpp source (llama-bench, llama-quantize). */
export function llamaTool(cacheDir: string, name: 'llama-bench' | 'llama-quantize'): string {
  return join(cacheDir, 'llama.cpp', 'build', 'bin', name);
}

/**
 * Builds llama-bench (and llama-quantize, which makes the bench's Q4_K_M model) if they are
 * not cached yet. Returns llama-bench's path, or null when it cannot be built.
 */
export function ensureLlamaBench(cacheDir: string, log: (line: string) => void): string | null {
  const binary = llamaBenchBinary(cacheDir);
  const source = join(cacheDir, 'llama.cpp');
  const stamp = join(source, 'build', 'burrow-cpu.txt');
  const built = existsSync(binary) && existsSync(llamaTool(cacheDir, 'llama-quantize'));
  const cpu = cpuIdentity();
  const sameCpu = readText(stamp) === cpu;
  if (built && sameCpu) return binary;
  // GGML_NATIVE compiles for the CPU it builds on: a cache carried to another machine (or a
  // half-finished build resumed there) dies on its first unknown instruction (SIGILL).
  if (!sameCpu && existsSync(join(source, 'build'))) {
    log('the cached llama.cpp build was made for another CPU: building it again');
    rmSync(join(source, 'build'), { recursive: true, force: true });
  }
  const bundle = join(findProjectRoot(import.meta.url), 'node_modules', 'node-llama-cpp', 'llama', 'gitRelease.bundle');
  try {
    if (!existsSync(join(source, 'CMakeLists.txt'))) {
      log(`cloning llama.cpp from ${bundle} …`);
      execFileSync('git', ['clone', '--quiet', bundle, source], { stdio: 'ignore' });
    }
    log('building llama-bench and llama-quantize (once; several minutes on 2 cores) …');
    const cmake = (args: string[]): void => {
      execFileSync('nice', ['-n', '10', 'cmake', ...args], { cwd: source, stdio: ['ignore', 'ignore', 'inherit'] });
    };
    cmake(['-S', '.', '-B', 'build', '-DCMAKE_BUILD_TYPE=Release', '-DGGML_NATIVE=ON', ...Object.entries(NO_AMX_OPTIONS).map(([key, value]) => `-D${key}=${value}`), '-DLLAMA_CURL=OFF', '-DLLAMA_OPENSSL=OFF', '-DBUILD_SHARED_LIBS=OFF', '-DLLAMA_BUILD_TESTS=OFF', '-DLLAMA_BUILD_EXAMPLES=OFF', '-DLLAMA_BUILD_SERVER=OFF']);
    // Stamped before the build, so an interrupted build is resumed only on the same CPU.
    writeFileSync(stamp, cpu);
    cmake(['--build', 'build', '--target', 'llama-bench', 'llama-quantize', '-j', '2']);
    return existsSync(binary) ? binary : null;
  } catch (error) {
    log(`llama-bench could not be built: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

/** What a native build depends on: the CPU model, on Linux its instruction-set flags, and ours. */
function cpuIdentity(): string {
  const flags = /^flags\s*:\s*(.*)$/m.exec(readText('/proc/cpuinfo') ?? '')?.[1] ?? '';
  return `${arch()} ${cpus()[0]?.model ?? '?'} ${flags} ${JSON.stringify(NO_AMX_OPTIONS)}`.trim();
}

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/**
 * The TinyLlama-shaped model in Q4_K_M, the quantisation of TinyLlama's own download: our GGUF
 * writer has no K-quants, so llama.cpp's llama-quantize makes it from the Q8_0 file (random
 * weights cost the same to run whatever their values). null when llama-quantize is not built.
 */
export function benchQ4KMPath(cacheDir: string, log: (line: string) => void): string | null {
  const path = join(cacheDir, `${BENCH_MODEL_VERSION}-Q4_K_M.gguf`);
  if (existsSync(path)) return path;
  const quantize = llamaTool(cacheDir, 'llama-quantize');
  if (!existsSync(quantize)) return null;
  const source = benchModelPath('Q8_0', log);
  log(`quantising ${source} to Q4_K_M …`);
  const partial = `${path}.partial`;
  try {
    execFileSync('nice', ['-n', '10', quantize, '--allow-requantize', source, partial, 'Q4_K_M', '2'], { stdio: 'ignore' });
    renameSync(partial, path);
    return path;
  } catch (error) {
    rmSync(partial, { force: true });
    log(`llama-quantize failed: ${error instanceof Error ? error.message : String(error)}`);
    return null;
  }
}

export interface LlamaBenchResult {
  /** tokens per second of the pp test, or NaN when not run. */
  ppTokensPerSecond: number;
  tgTokensPerSecond: number;
}

interface LlamaBenchRow {
  n_prompt?: number;
  n_gen?: number;
  avg_ts?: number;
}

export interface LlamaBenchOptions {
  /** Undefined leaves llama.cpp's default ('auto', which turns it on for the CPU). */
  flashAttention?: boolean;
  /** Tokens already in the KV cache before the measured tests (`-d`); 0 by default. */
  depth?: number;
}

/** One repetition of pp`prompt` and tg`generate` (either may be 0 to skip it). */
export async function runLlamaBench(binary: string, model: string, threads: number, prompt: number, generate: number, options: LlamaBenchOptions = {}): Promise<LlamaBenchResult> {
  const fa = options.flashAttention === undefined ? [] : ['-fa', options.flashAttention ? '1' : '0'];
  const depth = options.depth === undefined ? [] : ['-d', String(options.depth)];
  const args = ['-m', model, '-t', String(threads), '-p', String(prompt), '-n', String(generate), ...fa, ...depth, '-r', '1', '-o', 'json', '--no-warmup'];
  const output = await new Promise<string>((resolve, reject) => {
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString('utf8')));
    child.stderr.on('data', (chunk: Buffer) => (err = (err + chunk.toString('utf8')).slice(-2000)));
    child.on('error', reject);
    child.on('close', (code, signal) => (code === 0 ? resolve(out) : reject(new Error(`llama-bench ${signal === null ? `exited with ${code}` : `was killed by ${signal}${signal === 'SIGILL' ? ' (built for another CPU?)' : ''}`}: ${err}`))));
  });
  const rows = JSON.parse(output) as LlamaBenchRow[];
  const pp = rows.find((row) => (row.n_prompt ?? 0) > 0 && (row.n_gen ?? 0) === 0);
  const tg = rows.find((row) => (row.n_gen ?? 0) > 0 && (row.n_prompt ?? 0) === 0);
  return { ppTokensPerSecond: pp?.avg_ts ?? Number.NaN, tgTokensPerSecond: tg?.avg_ts ?? Number.NaN };
}

/** What the built llama.cpp reports about itself (commit), for results.json. */
export function llamaBenchVersion(cacheDir: string): string {
  try {
    return readFileSync(join(findProjectRoot(import.meta.url), 'node_modules', 'node-llama-cpp', 'llama', 'llama.cpp.info.json'), 'utf8').replace(/\s+/g, ' ').trim() + ` (${cacheDir})`;
  } catch {
    return 'unknown';
  }
}
