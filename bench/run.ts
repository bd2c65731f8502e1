/**
 * `npm run bench [-- --quick]`: Burrow's speed and memory against llama.cpp's own llama-bench
 * and a bare node-llama-cpp script, interleaved in one run on the same model and threads.
 * Prints a table and writes bench/results.json. See docs/performance.md.
 *
 *   BURROW_BENCH_MODEL=path.gguf   a real model instead of the generated TinyLlama-shaped ones
 *   BURROW_THREADS=n               threads for Burrow and the baselines (default: Burrow's own choice)
 *   --quick                        fewer rounds and smaller stores (< 3 minutes)
 *   --only inference,q4km,...      run some sections only (inference, q4km, q8, sweep, summary, store, renderer, reopen, api, lora)
 *   BURROW_ENGINE_BUILD=prebuilt   run Burrow and the bare baseline on node-llama-cpp's prebuilt binary
 *   --no-llama-bench               skip the llama-bench baseline (and its build)
 *   --summary-pages N              pages of the generated document to summarise (default 30)
 *   --reopen-tokens N              tokens in the reopened conversations (default 1500; fewer for a smoke run)
 */
import { cpus, totalmem, release, platform } from 'node:os';
import { statSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { engineSettingsFromEnv } from '../src/core/engine/settings-env';
import { chooseThreads, usableCores } from '../src/core/engine/threads';
import { benchCacheDir, benchModelPath } from './model';
import { inferenceFigures } from './lib/inference';
import { rendererFigures } from './lib/renderer';
import { storeFigures } from './lib/store';
import { reopenFigures } from './lib/reopen';
import { apiFigures } from './lib/api';
import { loraFigures } from './lib/lora';
import { summaryFigures } from './lib/summary';
import { benchQ4KMPath, ensureLlamaBench, llamaBenchVersion } from './lib/llama-bench';
import { Report } from './lib/report';

const { values } = parseArgs({ options: { quick: { type: 'boolean', default: false }, only: { type: 'string' }, 'no-llama-bench': { type: 'boolean', default: false }, 'summary-pages': { type: 'string', default: '30' }, 'reopen-tokens': { type: 'string', default: '1500' }, out: { type: 'string' } } });
const quick = values.quick;
const sections = new Set((values.only ?? 'inference,q4km,q8,sweep,summary,store,renderer,reopen,api,lora').split(','));
const started = performance.now();
const log = (line: string): void => {
  process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
};

// The engine and document workers run from out/ when it exists: build it first, so the bench
// measures the source as it is and not the last build (a stale out/ once ran an older engine).
log('building out/ (electron-vite build) …');
execFileSync('npx', ['electron-vite', 'build'], { stdio: 'ignore' });

const report = new Report();
const cacheDir = benchCacheDir();
const cores = usableCores();
const custom = process.env.BURROW_BENCH_MODEL;
const q4 = custom ?? benchModelPath('Q4_0', log);
// The engine's own rule (and BURROW_THREADS), so the baselines run with the threads Burrow uses.
const threads = chooseThreads({ requested: engineSettingsFromEnv().threads, modelBytes: statSync(q4).size });
const llamaBench = values['no-llama-bench'] ? null : ensureLlamaBench(cacheDir, log);

Object.assign(report.meta, {
  date: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  machine: { platform: platform(), release: release(), cpu: cpus()[0]?.model ?? 'unknown', logicalCpus: cpus().length, usableCores: cores, memoryGiB: +(totalmem() / 2 ** 30).toFixed(1) },
  backend: 'cpu (node-llama-cpp 3.21.1)',
  engineBuildRequested: process.env.BURROW_ENGINE_BUILD ?? 'auto',
  threads,
  model: custom ?? 'TinyLlama-shaped random weights (bench/model.ts)',
  llamaBench: llamaBench === null ? 'not built' : llamaBenchVersion(cacheDir),
});

if (sections.has('inference')) {
  await inferenceFigures(report, {
    model: q4,
    modelLabel: custom === undefined ? 'Q4_0' : 'model',
    threads,
    cores,
    contextSize: 2048,
    rounds: quick ? 2 : 5,
    promptTokens: 512,
    generateTokens: quick ? 64 : 128,
    llamaBench,
    turnRounds: quick ? 1 : 3,
    sweep: sections.has('sweep'),
    sweepRepeats: quick ? 1 : 2,
    prebuiltFallback: true,
    log,
  });
}
const q4km = custom === undefined && sections.has('q4km') ? benchQ4KMPath(cacheDir, log) : null;
if (q4km !== null) {
  await inferenceFigures(report, {
    model: q4km,
    modelLabel: 'Q4_K_M',
    threads,
    cores,
    contextSize: 2048,
    rounds: quick ? 2 : 4,
    promptTokens: 512,
    generateTokens: quick ? 64 : 128,
    llamaBench,
    turnRounds: 0,
    sweep: false,
    sweepRepeats: 0,
    prebuiltFallback: !quick,
    log,
  });
}
if (sections.has('q8') && !quick && custom === undefined) {
  await inferenceFigures(report, {
    model: benchModelPath('Q8_0', log),
    modelLabel: 'Q8_0',
    threads,
    cores,
    contextSize: 2048,
    rounds: 2,
    promptTokens: 512,
    generateTokens: 128,
    llamaBench,
    turnRounds: 0,
    sweep: false,
    sweepRepeats: 0,
    prebuiltFallback: false,
    log,
  });
}

if (sections.has('summary')) {
  if (quick) report.add({ key: 'summary_pages_per_minute', label: 'summarisation', unit: 'pages/min', note: 'not run in --quick mode (a 30-page summary takes minutes on 2 cores)' });
  else await summaryFigures(report, q4, Number(values['summary-pages']), log);
}
if (sections.has('store')) {
  if (quick) await storeFigures(report, [100_000], 10, log, ' (quick mode: 100k only, no 1M)');
  else await storeFigures(report, [100_000, 1_000_000], 20, log, '');
}
if (sections.has('api')) await apiFigures(report, { model: q4, rounds: quick ? 2 : 6, generateTokens: quick ? 64 : 128, log });
if (sections.has('lora')) await loraFigures(report, { model: q4, rounds: quick ? 3 : 6, generateTokens: quick ? 64 : 128, log });
if (sections.has('reopen')) await reopenFigures(report, { model: q4, conversationTokens: Number(values['reopen-tokens']), rounds: quick ? 1 : 3, cycleConversations: 5, log });
if (sections.has('renderer')) await rendererFigures(report, quick ? 4 : 10, log);

const out = values.out ?? join(fileURLToPath(new URL('.', import.meta.url)), 'results.json');
report.meta.durationSeconds = Math.round((performance.now() - started) / 1000);
report.write(out);
console.log(report.table());
console.log(`\n${report.notes()}\n\nwrote ${out} in ${report.meta.durationSeconds as number} s`);
