/**
 * Where the engine's resident memory goes (docs/performance.md, "Engine memory"): RSS after
 * each step of a load and a reply, through node-llama-cpp as the engine uses it, for one
 * configuration per run (run it once per variant: each needs a fresh process).
 *
 *   npx tsx bench/memory-profile.ts [--model PATH] [--sequences N] [--flash on|off|auto]
 *                                   [--kv f16|q8_0] [--mmap on|off] [--context N] [--build auto|prebuilt|local]
 *                                   [--batch N] [--prompt WORDS] [--tokens N]
 */
import { parseArgs } from 'node:util';
import { statSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { benchModelPath, benchText } from './model';

const { values } = parseArgs({
  options: {
    model: { type: 'string' },
    sequences: { type: 'string', default: '1' },
    flash: { type: 'string', default: 'auto' },
    kv: { type: 'string', default: 'f16' },
    mmap: { type: 'string', default: 'off' },
    context: { type: 'string', default: '2048' },
    build: { type: 'string', default: 'auto' },
    tokens: { type: 'string', default: '32' },
    batch: { type: 'string', default: '512' },
    prompt: { type: 'string', default: '200' },
  },
});
const MB = 1024 * 1024;
const rss = (): number => Math.round(process.memoryUsage.rss() / MB);
const steps: Record<string, number> = { start: rss() };

const { LlamaLogLevel, GgmlType } = await import('node-llama-cpp');
const { loadLlama, parseEngineBuild } = await import('../src/core/engine/engine-build');
steps.imported = rss();
const modelPath = values.model ?? benchModelPath('Q4_0');
const { llama, build } = await loadLlama(parseEngineBuild(values.build), { gpu: false, maxThreads: availableParallelism(), logLevel: LlamaLogLevel.error });
steps.backend = rss();
const model = await llama.loadModel({ modelPath, useMmap: values.mmap === 'on' });
steps.model = rss();
const kvType = values.kv === 'q8_0' ? GgmlType.Q8_0 : GgmlType.F16;
const context = await model.createContext({
  contextSize: Number(values.context),
  sequences: Number(values.sequences),
  threads: 2,
  batchSize: Number(values.batch),
  flashAttention: values.flash === 'on' ? true : values.flash === 'off' ? false : undefined,
  experimentalKvCacheKeyType: kvType,
  experimentalKvCacheValueType: kvType,
});
steps.context = rss();
const sequence = context.getSequence();
let generated = 0;
for await (const token of sequence.evaluate(model.tokenize(benchText(Number(values.prompt), 5)), { temperature: 0 })) {
  void token;
  if (++generated >= Number(values.tokens)) break;
}
steps.reply = rss();
const fileMB = Math.round(statSync(modelPath).size / MB);
console.log(
  JSON.stringify({
    build,
    sequences: Number(values.sequences),
    flash: values.flash,
    flashUsed: context.flashAttention,
    kv: values.kv,
    mmap: values.mmap,
    fileMB,
    ...steps,
    overFileMB: steps.reply - fileMB,
  }),
);
await context.dispose();
await model.dispose();
await llama.dispose();
