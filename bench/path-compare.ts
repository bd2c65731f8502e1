/**
 * One model, four ways, interleaved round by round (docs/performance.md, "Attention padding"):
 * llama-bench at depth 0 and 24, node-llama-cpp's plain evaluate loop and its chat path
 * (`bench/token-profile.ts`, each a child process), and a Burrow turn through the core and the
 * engine process, all with flash attention on, as Burrow runs on the CPU. Separates what
 * llama.cpp, the binding, the chat path and Burrow's processes each cost. Not part of `npm run bench`; run it alone, after `npm run build`.
 *
 * `--burrow-turns N` answers N turns back to back each round (a new conversation each), to see
 * whether the long-lived engine's first turn after the others ran is slower than the next.
 *
 *   npx tsx bench/path-compare.ts [--model PATH] [--rounds N] [--tokens N] [--burrow-turns N]
 */
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { BurrowUnderTest } from './lib/burrow-path';
import { benchCacheDir } from './model';
import { benchQ4KMPath, ensureLlamaBench, runLlamaBench } from './lib/llama-bench';

const { values } = parseArgs({ options: { model: { type: 'string' }, rounds: { type: 'string', default: '4' }, tokens: { type: 'string', default: '64' }, 'burrow-turns': { type: 'string', default: '1' } } });
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const cacheDir = benchCacheDir();
const built = ensureLlamaBench(cacheDir, log);
const model = values.model ?? benchQ4KMPath(cacheDir, log);
if (built === null || model === null) throw new Error('llama-bench (and llama-quantize, for the Q4_K_M model) could not be built');
const llamaBench = built;
const tokens = Number(values.tokens);

const env = { ...process.env, UV_THREADPOOL_SIZE: '1' };
const tokenProfile = (extra: string[]): number => {
  const out = execFileSync('npx', ['tsx', 'bench/token-profile.ts', '--model', model, '--tokens', String(tokens), '--rounds', '1', ...extra], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return Number(/"tokPerS":([\d.]+)/.exec(out)?.[1] ?? Number.NaN);
};

const burrow = BurrowUnderTest.start(model);
try {
  await burrow.call('models.load', { path: model, force: true });
  for (let round = 0; round < Number(values.rounds); round++) {
    // Flash attention on everywhere, as Burrow runs on the CPU (llama-bench's default turns it on).
    const depth0 = await runLlamaBench(llamaBench, model, 2, 0, tokens);
    const depth24 = await runLlamaBench(llamaBench, model, 2, 0, tokens, { depth: 24 });
    const plain = tokenProfile(['--words', '12', '--flash']);
    const chat = tokenProfile(['--chat', '--no-system', '--flash']);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const burrowTurns: number[] = [];
    for (let turnIndex = 0; turnIndex < Number(values['burrow-turns']); turnIndex++) {
      const conversation = await burrow.newConversation(tokens + 1);
      const turn = await burrow.turn(conversation, 'ra bit');
      await burrow.call('conversations.delete', { id: conversation });
      burrowTurns.push(((turn.stats.generatedTokens - 1) / turn.streamMs) * 1000);
    }
    const fixed = (value: number): string => value.toFixed(2);
    console.log(JSON.stringify({ llamaBenchDepth0: fixed(depth0.tgTokensPerSecond), llamaBenchDepth24: fixed(depth24.tgTokensPerSecond), plainLoop: fixed(plain), chatPath: fixed(chat), burrow: burrowTurns.map(fixed).join(' ') }));
  }
} finally {
  await burrow.dispose();
}
