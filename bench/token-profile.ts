/**
 * Where the milliseconds of one generated token go, through node-llama-cpp as Burrow uses it
 * (docs/performance.md, "Per-token breakdown"). Not a test and not part of `npm run bench`:
 * a tool to run by hand, alone on the machine, once per engine build or setting to compare.
 *
 *   npx tsx bench/token-profile.ts [--model PATH] [--threads N] [--tokens N] [--rounds N]
 *                                  [--build auto|local|prebuilt] [--dispatch immediate|sync]
 *                                  [--chat] [--flash] [--mmap] [--words N] [--no-system]
 *                                  [--batch N] [--log-batches]
 *
 * Per token it splits the wall time into
 *   - decode: from the call into the native decode until its promise resolves (the libuv
 *     worker hop plus llama_decode itself),
 *   - native: llama.cpp's own eval timer for the same decodes (performance tracking),
 *   - sample: the native sampling call, also a libuv worker hop,
 *   - js: everything else between two decodes (node-llama-cpp's batching, detokenising, our loop),
 * and counts context switches of the whole process per token (/proc/self/task/* status).
 * Run it under `strace -f -c -e trace=futex,clone,clone3` for futex and thread-creation counts.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { readStat } from './lib/proc-cpu';
import { parseArgs } from 'node:util';
import { getLlama, LlamaChatSession, LlamaLogLevel, resolveChatWrapper, type LlamaContext, type Token } from 'node-llama-cpp';
import { availableParallelism } from 'node:os';
import { benchModelPath, benchText } from './model';
import { loadLlama, parseEngineBuild } from '../src/core/engine/engine-build';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    threads: { type: 'string', default: '2' },
    tokens: { type: 'string', default: '128' },
    rounds: { type: 'string', default: '3' },
    build: { type: 'string', default: 'auto' },
    dispatch: { type: 'string', default: 'immediate' },
    chat: { type: 'boolean', default: false },
    flash: { type: 'boolean', default: false },
    mmap: { type: 'boolean', default: false },
    // the prompt's length in words (a chat adds its template, and the default system prompt unless --no-system)
    words: { type: 'string', default: '8' },
    'no-system': { type: 'boolean', default: false },
    batch: { type: 'string' },
    // one line per batch node-llama-cpp hands to llama.cpp: its tokens and logits
    'log-batches': { type: 'boolean', default: false },
  },
});
const modelPath = values.model ?? benchModelPath('Q4_0', (line) => process.stderr.write(`${line}\n`));
const threads = Number(values.threads);
const tokens = Number(values.tokens);

let nativeEvalMs = 0;
let nativeEvalRuns = 0;
const llamaOptions = {
  gpu: false as const,
  maxThreads: availableParallelism(),
  logLevel: LlamaLogLevel.info,
  logger: (_level: LlamaLogLevel, message: string) => {
    // llama_perf_context_print: "eval time = 1234.56 ms / 127 runs ( ..."
    const match = /\beval time =\s*([\d.]+) ms \/\s*(\d+) runs/.exec(message);
    if (match !== null && !/prompt eval/.test(message)) {
      nativeEvalMs = Number(match[1]);
      nativeEvalRuns = Number(match[2]);
    }
  },
};
// 'plain': a build made by `node-llama-cpp source download` with no options of ours.
const { llama, build } =
  values.build === 'plain' ? { llama: await getLlama({ ...llamaOptions, build: 'never' }), build: 'plain' } : await loadLlama(parseEngineBuild(values.build), llamaOptions);
const model = await llama.loadModel({ modelPath, useMmap: values.mmap });
const context = await model.createContext({
  contextSize: 2048,
  threads,
  sequences: 1,
  ...(values.batch !== undefined ? { batchSize: Number(values.batch) } : {}),
  flashAttention: values.flash,
  performanceTracking: true,
  ...(values.dispatch === 'sync' ? { batching: { dispatchSchedule: (dispatch: () => void) => dispatch() } } : {}),
});
const sequence = context.getSequence();

interface Native {
  decodeBatch: () => Promise<void>;
  sampleToken: (...args: unknown[]) => Promise<unknown>;
}
const holder = context as unknown as { _ctx: Native };
const native = holder._ctx;
let decodeMs = 0;
let sampleMs = 0;
let decodeCalls = 0;
const decodeBatch = native.decodeBatch.bind(native);
const sampleToken = native.sampleToken.bind(native);
const timedDecode = async (): Promise<void> => {
  const t = performance.now();
  await decodeBatch();
  decodeCalls++;
  decodeMs += performance.now() - t;
};
const timedSample = async (...args: unknown[]): Promise<unknown> => {
  const t = performance.now();
  const result = await sampleToken(...args);
  sampleMs += performance.now() - t;
  return result;
};
// The native object's methods are read-only: a proxy in its place times the two calls.
holder._ctx = new Proxy(native, {
  get(target, property) {
    if (property === 'decodeBatch') return timedDecode;
    if (property === 'sampleToken') return timedSample;
    if (property === 'addToBatch' && values['log-batches'])
      return (...args: unknown[]) => {
        const batch = args[2] as Uint32Array;
        const logits = args[3] as Uint32Array;
        process.stderr.write(`batch ${batch.length} logits ${logits.length}\n`);
        return (target as unknown as { addToBatch: (...a: unknown[]) => unknown }).addToBatch(...args);
      };
    const value: unknown = Reflect.get(target, property);
    return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
  },
});

function contextSwitches(): { voluntary: number; involuntary: number; threads: number } {
  let voluntary = 0;
  let involuntary = 0;
  const tasks = readdirSync('/proc/self/task');
  for (const task of tasks) {
    try {
      const status = readFileSync(`/proc/self/task/${task}/status`, 'utf8');
      voluntary += Number(/voluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
      involuntary += Number(/nonvoluntary_ctxt_switches:\s+(\d+)/.exec(status)?.[1] ?? 0);
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return { voluntary, involuntary, threads: tasks.length };
}

/** CPU time (ms) per thread name, from /proc/self/task/N/stat (utime + stime, in clock ticks of 10 ms). */
function cpuByThread(): Map<string, number> {
  const byName = new Map<string, number>();
  for (const task of readdirSync('/proc/self/task')) {
    const stat = readStat(`self/task/${task}`);
    if (stat === null) continue;
    const name = task === String(process.pid) ? 'main' : `${stat.name}:${task}`;
    byName.set(name, (byName.get(name) ?? 0) + stat.cpuMs);
  }
  return byName;
}

async function resetPerf(ctx: LlamaContext): Promise<void> {
  // printTimings also resets nothing; reading it before and after gives the round's share.
  await ctx.printTimings();
}

const rows: Record<string, number>[] = [];
for (let round = 0; round < Number(values.rounds); round++) {
  await sequence.clearHistory();
  const start: Token[] = model.tokenize(benchText(Number(values.words), 3 + round));
  // The first token pays for the prompt: measure from it on.
  let generated = 0;
  let firstAt = 0;
  let before = contextSwitches();
  let cpuBefore = cpuByThread();
  await resetPerf(context);
  const evalMsBefore = nativeEvalMs;
  const evalRunsBefore = nativeEvalRuns;
  if (values.chat) {
    // As the engine answers: a chat session over the sequence, the model's chat template, text chunks.
    const session = new LlamaChatSession({ contextSequence: sequence, chatWrapper: resolveChatWrapper(model), autoDisposeSequence: false, ...(values['no-system'] ? { systemPrompt: '' } : {}) });
    await session.promptWithMeta(benchText(Number(values.words), 3 + round), {
      maxTokens: tokens + 1,
      temperature: 0,
      onToken: (chunk) => {
        generated += chunk.length;
        if (firstAt === 0) {
          firstAt = performance.now();
          decodeMs = 0;
          sampleMs = 0;
          decodeCalls = 0;
          before = contextSwitches();
          cpuBefore = cpuByThread();
        }
      },
    });
    session.dispose({ disposeSequence: false });
  } else {
    for await (const token of sequence.evaluate(start, { temperature: 0 })) {
      void token;
      generated++;
      if (generated === 1) {
        firstAt = performance.now();
        decodeMs = 0;
        sampleMs = 0;
        decodeCalls = 0;
        before = contextSwitches();
        cpuBefore = cpuByThread();
      }
      if (generated > tokens) break;
    }
  }
  const wallMs = performance.now() - firstAt;
  const after = contextSwitches();
  const cpuAfter = cpuByThread();
  const cpuPerToken: Record<string, number> = {};
  for (const [name, ms] of cpuAfter) cpuPerToken[`cpu:${name}`] = (ms - (cpuBefore.get(name) ?? 0)) / tokens;
  await context.printTimings();
  const steps = tokens;
  const nativeMs = (nativeEvalMs - evalMsBefore) / Math.max(1, nativeEvalRuns - evalRunsBefore);
  rows.push({
    tokPerS: (steps / wallMs) * 1000,
    wallMsPerToken: wallMs / steps,
    decodeMs: decodeMs / steps,
    nativeEvalMs: nativeMs,
    hopMs: decodeMs / steps - nativeMs,
    decodesPerToken: decodeCalls / steps,
    sampleMs: sampleMs / steps,
    jsMs: (wallMs - decodeMs - sampleMs) / steps,
    voluntaryCsPerToken: (after.voluntary - before.voluntary) / steps,
    involuntaryCsPerToken: (after.involuntary - before.involuntary) / steps,
    threads: after.threads,
    ...cpuPerToken,
  });
}

const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};
const keys = Object.keys(rows[0] ?? {});
const summary = Object.fromEntries(keys.map((key) => [key, +median(rows.map((row) => row[key] ?? Number.NaN)).toFixed(3)]));
console.log(JSON.stringify({ build, buildType: llama.buildType, bindingThreads: context.currentThreads, uvThreadpool: process.env.UV_THREADPOOL_SIZE ?? 'default', dispatch: values.dispatch, flash: values.flash, mmap: values.mmap, ...summary }));
await context.dispose();
await model.dispose();
await llama.dispose();
