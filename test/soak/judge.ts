/**
 * The soak's verdict from its samples (SECURITY.md item 26): no errors, memory growth under 5 %
 * over the last two thirds of the run, handles and descriptors not climbing, the WAL bounded.
 *
 * Memory is compared as the median of a window at the start of that span against the median of
 * a window at its end. The windows are five minutes long (a tenth of the run if that is longer):
 * the engine's resident memory is a sawtooth — it climbs by 20–50 MB over 60–90 s of traffic and
 * falls back when V8 and the allocator give pages back — and a one-minute window lands on
 * whichever phase of it the clock picks. On the 38-minute run of 2026-12-05 the same samples give
 * the engine +9.4 % with 76-second windows and +4.8 % with five-minute ones, with the floor (the
 * lowest sample of each window) at +0.8 %. A leak raises the floor and the median of a long
 * window alike; one phase of a cycle raises only a short window's median. The floors are
 * reported beside the medians.
 *
 * Re-judges a recorded run (the samples are in the file) and rewrites its verdict:
 *   npx tsx test/soak/judge.ts bench/results/soak.json
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';

export interface SoakSample {
  atS: number;
  coreRss: number;
  /** The core's V8 heap in use: tells a JavaScript leak from native memory (SQLite's cache, the allocator). */
  coreHeap: number;
  engineRss: number;
  coreHandles: number;
  coreFds: number;
  engineFds: number;
  /** The SQLite write-ahead log: checkpoints must keep it bounded. */
  walBytes: number;
  operations: number;
}

export type Measure = 'coreRss' | 'coreHeap' | 'engineRss' | 'coreHandles' | 'coreFds' | 'engineFds';

export const MEMORY_GROWTH_LIMIT = 0.05;
export const HANDLE_GROWTH_LIMIT = 2;
/** 16 000 pages of 4 KiB between automatic checkpoints (src/core/store/maintenance.ts), and slack. */
export const WAL_LIMIT_BYTES = 80 * 1024 * 1024;
/** The shortest comparison window: several of the engine's memory cycles. */
export const MIN_WINDOW_S = 300;

export interface Growth {
  /** Median of the first window to median of the last, as a fraction. */
  median: number;
  /** Lowest sample of the first window to lowest of the last: the floor a leak would raise. */
  floor: number;
}

export interface SoakVerdict {
  windowFromS: number;
  windowS: number;
  growth: { core: Growth; coreHeap: Growth; engine: Growth };
  handleGrowth: number;
  walMaxBytes: number;
  passed: boolean;
  reasons: string[];
}

function windowValues(samples: readonly SoakSample[], fromS: number, toS: number, key: Measure): number[] {
  return samples
    .filter((sample) => sample.atS >= fromS && sample.atS <= toS)
    .map((sample) => sample[key])
    .sort((a, b) => a - b);
}

const medianOf = (sorted: readonly number[]): number => sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;

export function judgeSoak(input: { samples: readonly SoakSample[]; totalS: number; errors: number; targetsReached: boolean }): SoakVerdict {
  const { samples, totalS } = input;
  const windowFromS = totalS / 3;
  const windowS = Math.min((totalS - windowFromS) / 2, Math.max(MIN_WINDOW_S, totalS / 10));
  const first = (key: Measure): number[] => windowValues(samples, windowFromS, windowFromS + windowS, key);
  const last = (key: Measure): number[] => windowValues(samples, totalS - windowS, totalS, key);
  const growth = (key: Measure): Growth => {
    const [a, b] = [first(key), last(key)];
    return { median: medianOf(b) / medianOf(a) - 1, floor: (b[0] ?? Number.NaN) / (a[0] ?? Number.NaN) - 1 };
  };
  const core = growth('coreRss');
  const engine = growth('engineRss');
  /** Handles and descriptors may wobble by a timer or a socket, never climb. */
  const handleGrowth = Math.max(...(['coreHandles', 'coreFds', 'engineFds'] as const).map((key) => medianOf(last(key)) - medianOf(first(key))));
  const walMaxBytes = Math.max(0, ...samples.map((sample) => sample.walBytes));

  const reasons: string[] = [];
  if (!input.targetsReached) reasons.push('the answer and summary targets were not reached');
  if (input.errors > 0) reasons.push(`${input.errors} operations failed`);
  // NaN (no samples in a window) fails too: a run too short to judge is not a pass.
  if (!(core.median < MEMORY_GROWTH_LIMIT)) reasons.push(`core memory grew ${(core.median * 100).toFixed(1)} %`);
  if (!(engine.median < MEMORY_GROWTH_LIMIT)) reasons.push(`engine memory grew ${(engine.median * 100).toFixed(1)} %`);
  if (!(handleGrowth <= HANDLE_GROWTH_LIMIT)) reasons.push(`handles or descriptors climbed by ${handleGrowth}`);
  if (!(walMaxBytes <= WAL_LIMIT_BYTES)) reasons.push(`the WAL reached ${(walMaxBytes / 1024 / 1024).toFixed(1)} MB`);
  return { windowFromS, windowS, growth: { core, coreHeap: growth('coreHeap'), engine }, handleGrowth, walMaxBytes, passed: reasons.length === 0, reasons };
}

const percent = (value: number): string => `${value >= 0 ? '+' : ''}${(value * 100).toFixed(1)} %`;

export function describeVerdict(verdict: SoakVerdict): string[] {
  const { growth } = verdict;
  return [
    `memory from the ${Math.round(verdict.windowS / 60)} min after minute ${Math.round(verdict.windowFromS / 60)} to the last ${Math.round(verdict.windowS / 60)} min (medians; floors in brackets): ` +
      `core ${percent(growth.core.median)} (${percent(growth.core.floor)}), engine ${percent(growth.engine.median)} (${percent(growth.engine.floor)}), limit 5 %; ` +
      `the core's JavaScript heap ${percent(growth.coreHeap.median)}`,
    `handles and descriptors: ${verdict.handleGrowth >= 0 ? '+' : ''}${verdict.handleGrowth} (limit +${HANDLE_GROWTH_LIMIT}); largest WAL ${(verdict.walMaxBytes / 1024 / 1024).toFixed(1)} MB (limit ${WAL_LIMIT_BYTES / 1024 / 1024} MB)`,
    verdict.passed ? 'SOAK PASSED' : `SOAK FAILED: ${verdict.reasons.join('; ')}`,
  ];
}

interface RecordedRun {
  ranMinutes: number;
  samples: SoakSample[];
  errors: string[];
  streamed: { answers: number; summaries: number };
  targets: { answers: number; summaries: number };
  [key: string]: unknown;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: tsx test/soak/judge.ts RESULT.json');
  const run = JSON.parse(readFileSync(file, 'utf8')) as RecordedRun;
  const verdict = judgeSoak({
    samples: run.samples,
    totalS: run.ranMinutes * 60,
    errors: run.errors.length,
    targetsReached: run.streamed.answers >= run.targets.answers && run.streamed.summaries >= run.targets.summaries,
  });
  for (const line of describeVerdict(verdict)) console.log(line);
  const { samples, ...rest } = run;
  writeFileSync(file, `${JSON.stringify({ ...rest, verdict, passed: verdict.passed, samples }, null, 2)}\n`);
  process.exitCode = verdict.passed ? 0 : 1;
}
