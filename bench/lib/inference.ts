/**
 * Inference figures: generation and prompt processing through Burrow, interleaved round by
 * round with llama-bench and the bare node-llama-cpp script on the same model and threads;
 * time to first token on turn 1 and turn 6; resident memory; the thread sweep.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { statSync } from 'node:fs';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import { benchText } from '../model';
import { BareNodeLlama } from './bare';
import { BurrowUnderTest, rssOf } from './burrow-path';
import { runLlamaBench } from './llama-bench';
import type { Report } from './report';
import { figure, pairedRatio } from './stats';

export interface InferenceOptions {
  model: string;
  modelLabel: string;
  threads: number;
  cores: number;
  contextSize: number;
  rounds: number;
  promptTokens: number;
  generateTokens: number;
  llamaBench: string | null;
  turnRounds: number;
  sweep: boolean;
  /** Passes over every thread count in the sweep. */
  sweepRepeats: number;
  /** Also time generation on node-llama-cpp's prebuilt binary (the engine's fallback), each round. */
  prebuiltFallback: boolean;
  log: (line: string) => void;
}

const MB = 1024 * 1024;
/** The speed targets of issue 19: Burrow within 5 % of llama-bench on the same model and threads. */
const SPEED_TARGET = 0.95;
/** Engine RSS after a reply may exceed the model file by this much. */
const MEMORY_OVER_FILE_MB = 150;

interface Runs {
  burrowTg: number[];
  /** A second generation turn right after the measured one: what the round's order costs the first. */
  burrowTgAgain: number[];
  burrowPp: number[];
  bareTg: number[];
  barePp: number[];
  lbTg: number[];
  lbPp: number[];
  /** llama-bench with flash attention off (Burrow's CPU setting until 2026-12-06; the prebuilt binary's still). */
  lbOffTg: number[];
  lbOffPp: number[];
  prebuiltTg: number[];
  engineRssAfterReply: number;
  bareRssAfterReply: number;
}

export async function inferenceFigures(report: Report, o: InferenceOptions): Promise<void> {
  const burrow = BurrowUnderTest.start(o.model);
  const bare = await BareNodeLlama.start(o.model, o.threads, o.contextSize, true);
  const prebuilt = o.prebuiltFallback ? BurrowUnderTest.start(o.model, {}, spawnNodeEngine({ env: { ...process.env, BURROW_ENGINE_BUILD: 'prebuilt' } })) : null;
  report.meta.engineBuild = bare.build;
  try {
    if (prebuilt !== null) await prebuilt.call('models.load', { path: o.model, force: true });
    const loaded = await burrow.call('models.load', { path: o.model, force: true });
    const rssAfterLoad = rssOf(burrow.enginePid);
    report.meta[`threads_${o.modelLabel}`] = loaded.model?.threads;
    report.meta[`contextSize_${o.modelLabel}`] = loaded.model?.contextSize;
    o.log(`Burrow loaded ${o.modelLabel}: ${loaded.model?.threads ?? '?'} threads, context ${loaded.model?.contextSize ?? '?'}, engine RSS ${(rssAfterLoad / MB).toFixed(0)} MB`);

    const runs = await speedRounds(o, burrow, bare, prebuilt);
    reportSpeed(report, o, runs, bare.build);
    if (o.turnRounds > 0) await turnFigures(report, burrow, o, figure(runs.burrowPp).median, figure(runs.burrowTg).median);
    reportMemory(report, o, runs, rssAfterLoad, Math.max(runs.engineRssAfterReply, rssOf(burrow.enginePid)), bare.rssAfterLoad);
    if (o.sweep) await threadSweep(report, burrow, o);
  } finally {
    await bare.stop();
    await burrow.dispose();
    await prebuilt?.dispose();
  }
}

/**
 * A prompt that Burrow evaluates in exactly `tokens` tokens, chat template included, so its
 * prompt-processing figure is the same work as llama-bench's pp test and the bare script's
 * (a few tokens over would add a whole extra decode step). Found by trying: words and tokens are
 * not one to one, and the template's length depends on the model.
 */
async function promptOfTokens(burrow: BurrowUnderTest, tokens: number): Promise<string> {
  let words = tokens - 12;
  let best = benchText(words, 11);
  for (let attempt = 0; attempt < 4; attempt++) {
    const text = benchText(words, 11);
    const conversation = await burrow.newConversation(1);
    const { stats } = await burrow.turn(conversation, text);
    await burrow.call('conversations.delete', { id: conversation });
    // Something else in the engine's sequence, so the next try cannot reuse this one's tokens.
    const other = await burrow.newConversation(1);
    await burrow.turn(other, 'ra bit');
    await burrow.call('conversations.delete', { id: other });
    if (stats.evaluatedTokens <= tokens) best = text;
    if (stats.evaluatedTokens === tokens) break;
    words -= stats.evaluatedTokens > tokens ? Math.max(1, stats.evaluatedTokens - tokens) : -Math.max(1, Math.floor((tokens - stats.evaluatedTokens) / 2));
  }
  return best;
}

/** Round by round, interleaved: llama-bench, the bare script, Burrow, and Burrow on the prebuilt binary. */
async function speedRounds(o: InferenceOptions, burrow: BurrowUnderTest, bare: BareNodeLlama, prebuilt: BurrowUnderTest | null): Promise<Runs> {
  const runs: Runs = { burrowTg: [], burrowTgAgain: [], burrowPp: [], bareTg: [], barePp: [], lbTg: [], lbPp: [], lbOffTg: [], lbOffPp: [], prebuiltTg: [], engineRssAfterReply: Number.NaN, bareRssAfterReply: Number.NaN };
  const prompt = await promptOfTokens(burrow, o.promptTokens);
  for (let round = 0; round < o.rounds; round++) {
    if (o.llamaBench !== null) {
      const lb = await runLlamaBench(o.llamaBench, o.model, o.threads, o.promptTokens, o.generateTokens);
      runs.lbPp.push(lb.ppTokensPerSecond);
      runs.lbTg.push(lb.tgTokensPerSecond);
      const off = await runLlamaBench(o.llamaBench, o.model, o.threads, o.promptTokens, o.generateTokens, { flashAttention: false });
      runs.lbOffPp.push(off.ppTokensPerSecond);
      runs.lbOffTg.push(off.tgTokensPerSecond);
    }
    const barePp = await bare.run('pp', o.promptTokens);
    runs.barePp.push((o.promptTokens / barePp.ms) * 1000);
    const bareTg = await bare.run('tg', o.generateTokens);
    runs.bareTg.push((o.generateTokens / bareTg.ms) * 1000);
    runs.bareRssAfterReply = bareTg.rss;

    const ppConversation = await burrow.newConversation(1);
    // Burrow picks its threads from the last second's load: let the baselines' work fall out of it.
    await settle();
    const pp = await burrow.turn(ppConversation, prompt);
    // The first token's own generation step is inside ttft: a small overestimate of the time.
    runs.burrowPp.push((pp.stats.evaluatedTokens / pp.ttftMs) * 1000);
    const tgConversation = await burrow.newConversation(o.generateTokens + 1);
    const tg = await burrow.turn(tgConversation, 'ra bit');
    runs.burrowTg.push(((tg.stats.generatedTokens - 1) / tg.streamMs) * 1000);
    runs.engineRssAfterReply = rssOf(burrow.enginePid);
    const againConversation = await burrow.newConversation(o.generateTokens + 1);
    const again = await burrow.turn(againConversation, 'ra bit');
    runs.burrowTgAgain.push(((again.stats.generatedTokens - 1) / again.streamMs) * 1000);
    await burrow.call('conversations.delete', { id: ppConversation });
    await burrow.call('conversations.delete', { id: tgConversation });
    await burrow.call('conversations.delete', { id: againConversation });
    if (prebuilt !== null) {
      const conversation = await prebuilt.newConversation(o.generateTokens + 1);
      await settle();
      const fallback = await prebuilt.turn(conversation, 'ra bit');
      runs.prebuiltTg.push(((fallback.stats.generatedTokens - 1) / fallback.streamMs) * 1000);
      await prebuilt.call('conversations.delete', { id: conversation });
    }
    o.log(
      `round ${round + 1}/${o.rounds}: tg Burrow ${last(runs.burrowTg)} (again ${last(runs.burrowTgAgain)}) bare ${last(runs.bareTg)} llama-bench ${last(runs.lbTg)} (fa off ${last(runs.lbOffTg)}) · ` +
        `pp Burrow ${last(runs.burrowPp)} (${pp.stats.evaluatedTokens} tokens) bare ${last(runs.barePp)} llama-bench ${last(runs.lbPp)} (fa off ${last(runs.lbOffPp)})` +
        (prebuilt !== null ? ` · tg Burrow on the prebuilt binary ${last(runs.prebuiltTg)}` : '') +
        threadChanges([...pp.engineLog, ...tg.engineLog, ...again.engineLog]),
    );
  }
  return runs;
}

function reportSpeed(report: Report, o: InferenceOptions, runs: Runs, build: string): void {
  const lbBaselines = (values: number[], off: number[]): Record<string, ReturnType<typeof figure>> =>
    values.length > 0 ? { 'llama-bench': figure(values), 'llama-bench, flash attention off': figure(off) } : {};
  const sameSettings = (burrow: number[], off: number[]): string =>
    off.length > 0 ? `; Burrow/llama-bench with flash attention off (llama.cpp unpatched) ${pairedRatio(burrow, off).median.toFixed(3)}` : '';
  const tgVsLb = pairedRatio(runs.burrowTg, runs.lbTg);
  const tgVsBare = pairedRatio(runs.burrowTg, runs.bareTg);
  const ppVsLb = pairedRatio(runs.burrowPp, runs.lbPp);
  const tag = o.modelLabel;
  report.add({
    key: `tg_${tag}`,
    label: `generation ${o.generateTokens} tokens, ${tag}`,
    unit: 'tok/s',
    burrow: figure(runs.burrowTg),
    baselines: { ...lbBaselines(runs.lbTg, runs.lbOffTg), 'bare node-llama-cpp': figure(runs.bareTg) },
    ...(o.llamaBench !== null
      ? { target: { text: `≥ ${SPEED_TARGET.toFixed(2)} × llama-bench`, value: tgVsLb.median, met: tgVsLb.median >= SPEED_TARGET } }
      : { target: { text: '≥ 0.97 × bare', value: tgVsBare.median, met: tgVsBare.median >= 0.97 } }),
    note: `engine build: ${build}; Burrow/bare paired ratio ${tgVsBare.median.toFixed(3)} (bare = node-llama-cpp with its defaults on the same binary)${o.llamaBench !== null ? `; Burrow/llama-bench ${tgVsLb.median.toFixed(3)}; bare/llama-bench ${pairedRatio(runs.bareTg, runs.lbTg).median.toFixed(3)}` : ''}${sameSettings(runs.burrowTg, runs.lbOffTg)}`,
  });
  report.add({
    key: `tg_again_${tag}`,
    label: `generation ${o.generateTokens} tokens, ${tag}, a second turn right after`,
    unit: 'tok/s',
    burrow: figure(runs.burrowTgAgain),
    ...(runs.lbTg.length > 0 ? { baselines: { 'llama-bench': figure(runs.lbTg) } } : {}),
    note: `a new conversation answered right after the measured turn, nothing between them (the target is on the first, which follows Burrow's prompt turn and, before it, the baselines' processes); second/first paired ratio ${pairedRatio(runs.burrowTgAgain, runs.burrowTg).median.toFixed(3)}${runs.lbTg.length > 0 ? `; second/llama-bench ${pairedRatio(runs.burrowTgAgain, runs.lbTg).median.toFixed(3)}` : ''}`,
  });
  if (runs.prebuiltTg.length > 0) {
    const fallbackVsLb = pairedRatio(runs.prebuiltTg, runs.lbTg);
    report.add({
      key: `tg_prebuilt_${tag}`,
      label: `generation ${o.generateTokens} tokens, ${tag}, prebuilt fallback`,
      unit: 'tok/s',
      burrow: figure(runs.prebuiltTg),
      ...(runs.lbTg.length > 0 ? { baselines: { 'llama-bench': figure(runs.lbTg) } } : {}),
      note: `Burrow on node-llama-cpp's prebuilt binary (BURROW_ENGINE_BUILD=prebuilt), what the app runs when its own build is missing or fails its check; prebuilt/own build paired ratio ${pairedRatio(runs.prebuiltTg, runs.burrowTg).median.toFixed(3)}${runs.lbTg.length > 0 ? `; prebuilt/llama-bench ${fallbackVsLb.median.toFixed(3)}` : ''}`,
    });
  }
  report.add({
    key: `pp_${tag}`,
    label: `prompt processing ${o.promptTokens} tokens, ${tag}`,
    unit: 'tok/s',
    burrow: figure(runs.burrowPp),
    baselines: { ...lbBaselines(runs.lbPp, runs.lbOffPp), 'bare node-llama-cpp': figure(runs.barePp) },
    ...(o.llamaBench !== null ? { target: { text: `≥ ${SPEED_TARGET.toFixed(2)} × llama-bench`, value: ppVsLb.median, met: ppVsLb.median >= SPEED_TARGET } } : {}),
    note: `Burrow/bare paired ratio ${pairedRatio(runs.burrowPp, runs.barePp).median.toFixed(3)}${sameSettings(runs.burrowPp, runs.lbOffPp)}; Burrow's figure is evaluated tokens (prompt + chat template, sized to the test's ${o.promptTokens}) ÷ time to first token`,
  });
}

function reportMemory(report: Report, o: InferenceOptions, runs: Runs, rssAfterLoad: number, engineAfterReply: number, bareRssAfterLoad: number): void {
  const tag = o.modelLabel;
  const fileBytes = statSync(o.model).size;
  report.add({ key: `rss_engine_load_${tag}`, label: `engine RSS after load, ${tag}`, unit: 'MB', burrow: figure([rssAfterLoad / MB]), baselines: { 'bare node-llama-cpp': figure([bareRssAfterLoad / MB]) } });
  report.add({
    key: `rss_engine_reply_${tag}`,
    label: `engine RSS after a reply, ${tag}`,
    unit: 'MB',
    burrow: figure([engineAfterReply / MB]),
    baselines: { 'bare node-llama-cpp': figure([runs.bareRssAfterReply / MB]) },
    target: { text: `≤ file + ${MEMORY_OVER_FILE_MB} MB, MB over file`, value: (engineAfterReply - fileBytes) / MB, met: engineAfterReply - fileBytes <= MEMORY_OVER_FILE_MB * MB },
    note: `model file ${(fileBytes / MB).toFixed(0)} MB; bare = node-llama-cpp defaults (mmap), one 2048-token sequence`,
  });
  report.add({ key: `rss_main_${tag}`, label: 'main (core) process RSS', unit: 'MB', burrow: figure([process.memoryUsage.rss() / MB]), note: 'the benchmark process hosting the core: store, chat service, engine host' });
}

async function turnFigures(report: Report, burrow: BurrowUnderTest, o: InferenceOptions, ppRate: number, tgRate: number): Promise<void> {
  const turn1: number[] = [];
  const turn6: number[] = [];
  const turn6Evaluated: number[] = [];
  for (let round = 0; round < o.turnRounds; round++) {
    const conversation = await burrow.newConversation(32);
    for (let turn = 1; turn <= 6; turn++) {
      const result = await burrow.turn(conversation, benchText(30, 100 + round * 10 + turn));
      if (turn === 1) turn1.push(result.ttftMs);
      if (turn === 6) {
        turn6.push(result.ttftMs);
        turn6Evaluated.push(result.stats.evaluatedTokens);
      }
    }
    await burrow.call('conversations.delete', { id: conversation });
  }
  const evaluated = figure(turn6Evaluated).median;
  const allowed = 1.2 * ((evaluated / ppRate) * 1000) + 1000 / tgRate;
  const t6 = figure(turn6);
  report.add({ key: `ttft_turn1_${o.modelLabel}`, label: 'time to first token, turn 1', unit: 'ms', burrow: figure(turn1) });
  report.add({
    key: `ttft_turn6_${o.modelLabel}`,
    label: 'time to first token, turn 6',
    unit: 'ms',
    burrow: t6,
    target: { text: '≤ 1.2 × new/pp + 1 step, ms allowed', value: allowed, met: t6.median <= allowed },
    note: `turn 6 evaluated ${evaluated} tokens (the new message and template; 5 earlier turns of 32-token answers are reused from the KV cache)`,
  });
}

/**
 * Generation at every fixed thread count and at Burrow's default (its choice by load), first
 * on the idle machine, then with one core kept busy by another process: a desktop is rarely idle.
 */
async function threadSweep(report: Report, burrow: BurrowUnderTest, o: InferenceOptions): Promise<void> {
  const counts = Array.from({ length: o.cores }, (_, i) => i + 1);
  for (const condition of ['idle', 'one core busy'] as const) {
    const burner = condition === 'idle' ? null : startBurner(10 * 60_000);
    try {
      const results = new Map<number | 'default', number[]>();
      const defaultLog: string[] = [];
      for (let repeat = 0; repeat < o.sweepRepeats; repeat++) {
        for (const threads of [...counts, 'default' as const]) {
          await burrow.assistant.engine.updateSettings({ threads: threads === 'default' ? undefined : threads });
          const conversation = await burrow.newConversation(65);
          const tg = await burrow.turn(conversation, 'ra bit');
          await burrow.call('conversations.delete', { id: conversation });
          if (threads === 'default') defaultLog.push(...tg.engineLog);
          const list = results.get(threads) ?? [];
          list.push(((tg.stats.generatedTokens - 1) / tg.streamMs) * 1000);
          results.set(threads, list);
        }
      }
      await burrow.assistant.engine.updateSettings({ threads: undefined });
      const best = Math.max(...counts.map((threads) => figure(results.get(threads) ?? []).median));
      const atDefault = figure(results.get('default') ?? []);
      report.add({
        key: `thread_policy_${condition === 'idle' ? 'idle' : 'busy'}_${o.modelLabel}`,
        label: `generation at Burrow's default threads vs best, ${condition}`,
        unit: 'tok/s',
        burrow: atDefault,
        note: [...results].map(([threads, runs]) => `${threads === 'default' ? 'default (by load)' : `${threads} threads`}: ${figure(runs).median.toFixed(1)} tok/s`).join(', ') + (threadChanges(defaultLog) || ' · no thread-count change in the default turns'),
        target: { text: 'default ≥ 0.90 × best', value: atDefault.median / best, met: atDefault.median >= 0.9 * best },
      });
    } finally {
      burner?.kill('SIGKILL');
    }
  }
}

/** A process that keeps one core busy, bounded: it stops by itself after `ms` even if the bench dies. */
function startBurner(ms: number): ChildProcess {
  return spawn(process.execPath, ['-e', `const end = Date.now() + ${ms}; while (Date.now() < end) {}`], { stdio: 'ignore' });
}

/** The engine's thread-count changes during a round's turns (it logs one only when the load moves it). */
function threadChanges(engineLog: readonly string[]): string {
  const changes = engineLog.filter((line) => line.startsWith('answering with'));
  return changes.length > 0 ? ` · ${changes.join('; ')}` : '';
}

/**
 * Waits out the load window of Burrow's thread policy (cpu-load.ts, one second): each process
 * in this bench runs right after another one worked both cores, which Burrow would rightly
 * read as a busy machine and answer with fewer threads.
 */
function settle(): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, 1200));
}

function last(values: number[]): string {
  const value = values.at(-1);
  return value === undefined || !Number.isFinite(value) ? '—' : value.toFixed(1);
}
