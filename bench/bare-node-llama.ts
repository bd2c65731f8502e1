/**
 * Baseline: node-llama-cpp used directly, no Burrow code. Runs as a child process of the
 * benchmark (bench/run.ts) and answers its requests over IPC, so its runs interleave with
 * Burrow's and llama-bench's on the same loaded model.
 *
 *   fork('bench/bare-node-llama.ts', [modelPath, threads, contextSize, mmap ? 'mmap' : 'no-mmap', build])
 *   (build: auto | local | prebuilt, as BURROW_ENGINE_BUILD: the engine's own choice of binary)
 *   → { type: 'ready', rssAfterLoad }
 *   ← { type: 'pp', tokens } → { type: 'result', ms, rss }
 *   ← { type: 'tg', tokens } → { type: 'result', ms, rss }  (ms from the first token to the last)
 */
import { LlamaLogLevel, type Token } from 'node-llama-cpp';
import { availableParallelism } from 'node:os';
import { benchText } from './model';
import { loadLlama, parseEngineBuild } from '../src/core/engine/engine-build';

const [modelPath = '', threadsArg = '2', contextArg = '2048', mmapArg = 'mmap', buildArg = 'auto'] = process.argv.slice(2);
const send = (message: object): void => {
  process.send?.(message);
};

const { llama, build } = await loadLlama(parseEngineBuild(buildArg), { gpu: false, maxThreads: availableParallelism(), logLevel: LlamaLogLevel.error });
const model = await llama.loadModel({ modelPath, useMmap: mmapArg === 'mmap' });
const context = await model.createContext({ contextSize: Number(contextArg), threads: Number(threadsArg), sequences: 1 });
const sequence = context.getSequence();
send({ type: 'ready', rssAfterLoad: process.memoryUsage.rss(), backend: llama.gpu === false ? 'cpu' : String(llama.gpu), buildType: llama.buildType, build });

async function promptProcessing(count: number): Promise<number> {
  await sequence.clearHistory();
  const tokens = model.tokenize(benchText(count * 2, 7)).slice(0, count);
  const started = performance.now();
  await sequence.evaluateWithoutGeneratingNewTokens(tokens);
  return performance.now() - started;
}

async function generation(count: number): Promise<number> {
  await sequence.clearHistory();
  const start: Token[] = model.tokenize(benchText(8, 3));
  let generated = 0;
  let firstAt = 0;
  for await (const token of sequence.evaluate(start, { temperature: 0 })) {
    void token;
    generated++;
    if (generated === 1) firstAt = performance.now();
    if (generated > count) break;
  }
  // count steps after the first token: the first one includes the prompt.
  return performance.now() - firstAt;
}

process.on('message', (raw: unknown) => {
  const message = raw as { type?: string; tokens?: number };
  const run = async (): Promise<void> => {
    if (message.type === 'pp') send({ type: 'result', ms: await promptProcessing(message.tokens ?? 512), rss: process.memoryUsage.rss() });
    else if (message.type === 'tg') send({ type: 'result', ms: await generation(message.tokens ?? 128), rss: process.memoryUsage.rss() });
    else if (message.type === 'exit') {
      await context.dispose();
      await model.dispose();
      await llama.dispose();
      process.exit(0);
    }
  };
  run().catch((error: unknown) => {
    send({ type: 'error', message: String(error) });
  });
});
