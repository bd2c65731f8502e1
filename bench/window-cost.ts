/**
 * What the process on the other side of the engine (the app's main process; here this script,
 * which runs Burrow's core as main does) spends on an answer while it streams, and what that
 * costs the engine (docs/performance.md, "The process around the engine"). On a machine with
 * as many cores as llama.cpp threads, every millisecond this process runs is taken from a
 * compute thread that the other then waits for at its next barrier.
 *
 * Turns alternate between as-is and with `--spin` ms of extra busy work per
 * `generation.delta`, so the two are compared round by round. Not part of `npm run bench`:
 * run it alone, after `npm run build` (the engine process runs the built worker).
 *
 *   npx tsx bench/window-cost.ts [--model PATH] [--rounds N] [--tokens N] [--spin MS]
 */
import { parseArgs } from 'node:util';
import { BurrowUnderTest } from './lib/burrow-path';
import { benchModelPath } from './model';
import { pairedRatio, percentile } from './lib/stats';

const { values } = parseArgs({ options: { model: { type: 'string' }, rounds: { type: 'string', default: '8' }, tokens: { type: 'string', default: '128' }, spin: { type: 'string', default: '1' } } });
const log = (line: string): void => void process.stderr.write(`${line}\n`);
const model = values.model ?? benchModelPath('Q4_0', log);
const tokens = Number(values.tokens);
const spinMs = Number(values.spin);

interface Turn {
  tokensPerSecond: number;
  deltas: number;
  /** This process's CPU time (user + system) from the first delta to generation.end. */
  cpuMs: number;
}

async function turn(burrow: BurrowUnderTest, extraMs: number): Promise<Turn> {
  const conversation = await burrow.newConversation(tokens + 1);
  let firstAt = 0;
  let cpuAtFirst = process.cpuUsage();
  let deltas = 0;
  const { generationId } = await burrow.call('chat.send', { conversationId: conversation, text: 'ra bit' });
  const end = await burrow.client.followGeneration(generationId, {
    onDelta: () => {
      deltas++;
      if (firstAt === 0) {
        firstAt = performance.now();
        cpuAtFirst = process.cpuUsage();
      }
      const until = performance.now() + extraMs;
      while (performance.now() < until);
    },
  });
  const cpu = process.cpuUsage(cpuAtFirst);
  const streamMs = performance.now() - firstAt;
  await burrow.call('conversations.delete', { id: conversation });
  if (end.stats === undefined) throw new Error(`the answer ended with ${end.reason}`);
  return { tokensPerSecond: ((end.stats.generatedTokens - 1) / streamMs) * 1000, deltas, cpuMs: (cpu.user + cpu.system) / 1000 };
}

const burrow = BurrowUnderTest.start(model);
const plain: Turn[] = [];
const spun: Turn[] = [];
try {
  await burrow.call('models.load', { path: model, force: true });
  for (let round = 0; round < Number(values.rounds); round++) {
    // Alternate which goes first; a pause lets the last turn's work leave the load window (cpu-load.ts).
    for (const extra of round % 2 === 0 ? [0, spinMs] : [spinMs, 0]) {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      (extra === 0 ? plain : spun).push(await turn(burrow, extra));
    }
    const [a, b] = [plain.at(-1), spun.at(-1)];
    log(`round ${round + 1}: as-is ${a?.tokensPerSecond.toFixed(1)} tok/s, ${a?.deltas} deltas, ${a?.cpuMs.toFixed(0)} ms CPU · +${spinMs} ms per delta ${b?.tokensPerSecond.toFixed(1)} tok/s, ${b?.cpuMs.toFixed(0)} ms CPU`);
  }
} finally {
  await burrow.dispose();
}
const median = (values: number[]): number => percentile(values, 50);
console.log(
  JSON.stringify({
    tokensPerSecond: median(plain.map((t) => t.tokensPerSecond)),
    deltasPerTurn: median(plain.map((t) => t.deltas)),
    cpuMsPerTurn: median(plain.map((t) => t.cpuMs)),
    spunTokensPerSecond: median(spun.map((t) => t.tokensPerSecond)),
    spunCpuMsPerTurn: median(spun.map((t) => t.cpuMs)),
    spunOverPlain: pairedRatio(spun.map((t) => t.tokensPerSecond), plain.map((t) => t.tokensPerSecond)).median,
  }),
);
