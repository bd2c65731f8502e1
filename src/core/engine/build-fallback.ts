/**
 * When Burrow's own engine build fails on this computer, the app falls back to node-llama-cpp's
 * prebuilt binary, and remembers it. A build that loads can still die at its first answer: a
 * matrix kernel using an instruction the CPU, or the kernel's settings for the process, refuse
 * (docs/performance.md, "Engine build": Intel AMX under OpenMP). node-llama-cpp's check at start
 * only loads the binding, so EngineHost watches the first answer of each engine process
 * (engine-host.ts) and records the failure here, so that the next start does not crash again.
 *
 * The record is keyed by the build recipes and the CPU: a new recipe (a new Burrow) or another
 * processor tries the own build again. Deleting `engine-build.json` in the data folder does too.
 */
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { ENGINE_RECIPES, RECIPE_ORDER } from './engine-build';
import type { ExitInfo } from './engine-connection';
import { PRIVATE_FILE_MODE } from '../store/private-files';

/** Where the app keeps its record: the data folder. */
export function buildFallbackFile(dataDir: string): string {
  return join(dataDir, 'engine-build.json');
}

export interface BuildFallbackStore {
  /** Why Burrow's own build is not used here (null: it is, or has not failed). */
  read(): string | null;
  /** Records that it failed, and why. */
  write(reason: string): void;
}

/** The recipes' versions and this CPU: what a recorded failure is about. */
export function buildFallbackKey(cpuModel: string = cpus()[0]?.model ?? 'unknown CPU'): string {
  return `${RECIPE_ORDER.map((recipe) => ENGINE_RECIPES[recipe]['BURROW_ENGINE']).join('+')} on ${cpuModel.trim()}`;
}

const FallbackRecord = z.object({ key: z.string(), reason: z.string().max(1000), at: z.string() });

/**
 * The record in a JSON file. A missing, unreadable or malformed file, or one about other
 * recipes or another CPU, reads as no failure; a failed write is logged by the caller and costs
 * only the memory of it.
 */
export function fileBuildFallback(file: string, key: string = buildFallbackKey()): BuildFallbackStore {
  return {
    read() {
      let text: string;
      try {
        text = readFileSync(file, 'utf8');
      } catch {
        return null;
      }
      try {
        const record = FallbackRecord.safeParse(JSON.parse(text));
        return record.success && record.data.key === key ? record.data.reason : null;
      } catch {
        return null;
      }
    },
    write(reason) {
      const temp = `${file}.${process.pid}.tmp`;
      writeFileSync(temp, `${JSON.stringify({ key, reason: reason.slice(0, 1000), at: new Date().toISOString() }, null, 2)}\n`, { mode: PRIVATE_FILE_MODE });
      renameSync(temp, file);
    },
  };
}

/**
 * An exit that means the CPU refused an instruction: SIGILL on Linux and macOS (a Node child
 * process), STATUS_ILLEGAL_INSTRUCTION (0xC000001D) on Windows, as an unsigned or signed code.
 */
export function illegalInstruction(exit: ExitInfo): boolean {
  return exit.signal === 'SIGILL' || exit.code === 0xc000001d || exit.code === 0xc000001d - 2 ** 32;
}

/** The exit as people read it. */
export function describeExit(exit: ExitInfo): string {
  if (illegalInstruction(exit)) return 'an illegal instruction';
  if (exit.signal !== null) return exit.signal;
  return `exit code ${exit.code ?? 'unknown'}`;
}
