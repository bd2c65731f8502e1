/**
 * `npm run bench:compare -- --base <git ref> [--rounds N] [--out file.json]`: Burrow's own
 * path at another commit against this checkout, side by side in one process.
 *
 * A refactor's question is "did this checkout get slower than <ref>?", and two separate bench
 * runs on a noisy machine cannot answer it (their spread is wider than the effect). This
 * checks the ref out into a temporary git worktree (sharing this node_modules, so the same
 * engine build), starts both cores on the same bench model, and alternates them turn by turn —
 * base then head in even rounds, head then base in odd ones, so a drift in machine load falls
 * on both equally. Both are built first, so each runs its own built engine worker as the app
 * would (and this checkout's out/ is rebuilt from the working tree). Each pair gives a ratio (head / base); the median of those is the figure.
 *
 * The base must have bench/lib/burrow-path.ts with BurrowUnderTest (every commit since the
 * reopen bench has).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { BurrowUnderTest } from './lib/burrow-path';
import { figure, pairedRatio, type Figure } from './lib/stats';
import { benchModelPath, benchText } from './model';

const { values } = parseArgs({ options: { base: { type: 'string' }, rounds: { type: 'string', default: '8' }, out: { type: 'string' } } });
if (values.base === undefined) {
  process.stderr.write('usage: npm run bench:compare -- --base <git ref> [--rounds N] [--out file.json]\n');
  process.exit(2);
}
const rounds = Number(values.rounds);
const started = performance.now();
const log = (line: string): void => {
  process.stderr.write(`[${((performance.now() - started) / 1000).toFixed(0).padStart(4)} s] ${line}\n`);
};

type Side = Pick<BurrowUnderTest, 'call' | 'newConversation' | 'turn' | 'dispose'>;
interface Samples {
  tg: number[];
  pp: number[];
  ttft: number[];
}

const PROMPT_TOKENS = 512;
const GENERATE_TOKENS = 128;
const prompt = benchText(PROMPT_TOKENS - 12, 11);

/** One generation (128 tokens) and one prompt evaluation (512 tokens) on `side`, as the inference section times them. */
async function measure(side: Side, into: Samples): Promise<void> {
  const ppConversation = await side.newConversation(1);
  await settle();
  const pp = await side.turn(ppConversation, prompt);
  into.pp.push((pp.stats.evaluatedTokens / pp.ttftMs) * 1000);
  const tgConversation = await side.newConversation(GENERATE_TOKENS + 1);
  await settle();
  const tg = await side.turn(tgConversation, 'ra bit');
  into.tg.push(((tg.stats.generatedTokens - 1) / tg.streamMs) * 1000);
  into.ttft.push(tg.ttftMs);
  await side.call('conversations.delete', { id: ppConversation });
  await side.call('conversations.delete', { id: tgConversation });
}

/** Burrow's thread policy reads the last second's load: let the other side's work fall out of it. */
function settle(): Promise<void> {
  return new Promise((done) => setTimeout(done, 1200));
}

function checkoutBase(ref: string): { root: string; commit: string; remove: () => void } {
  const root = mkdtempSync(join(tmpdir(), 'burrow-compare-'));
  const commit = execFileSync('git', ['rev-parse', '--short', ref], { encoding: 'utf8' }).trim();
  execFileSync('git', ['worktree', 'add', '--detach', root, commit], { stdio: 'ignore' });
  symlinkSync(resolve('node_modules'), join(root, 'node_modules'));
  // Both sides run their built engine worker (out/main/engine-worker.js), as the app does.
  execFileSync('npx', ['electron-vite', 'build'], { cwd: root, stdio: 'ignore' });
  return {
    root,
    commit,
    remove: () => {
      rmSync(join(root, 'node_modules'), { force: true });
      execFileSync('git', ['worktree', 'remove', '--force', root], { stdio: 'ignore' });
    },
  };
}

function describe(label: string, values: Figure, unit: string): string {
  return `${label} ${values.median.toFixed(3)}${unit} (${values.min.toFixed(3)}–${values.max.toFixed(3)}, ${values.runs.length} pairs)`;
}

async function compare(baseRoot: string, model: string): Promise<{ base: Samples; head: Samples }> {
  const baseModule = (await import(join(baseRoot, 'bench/lib/burrow-path.ts'))) as { BurrowUnderTest: { start: (model: string) => Side } };
  const base = baseModule.BurrowUnderTest.start(model);
  const head = BurrowUnderTest.start(model);
  const samples = { base: { tg: [], pp: [], ttft: [] } as Samples, head: { tg: [], pp: [], ttft: [] } as Samples };
  try {
    await base.call('models.load', { path: model, force: true });
    await head.call('models.load', { path: model, force: true });
    for (let round = 0; round < rounds; round++) {
      const order: ['base' | 'head', Side][] = [['base', base], ['head', head]];
      if (round % 2 === 1) order.reverse();
      for (const [name, side] of order) await measure(side, samples[name]);
      const tg = (samples.head.tg.at(-1) ?? 0) / (samples.base.tg.at(-1) ?? 1);
      log(`round ${round + 1}/${rounds}: tg base ${samples.base.tg.at(-1)?.toFixed(1)} head ${samples.head.tg.at(-1)?.toFixed(1)} (×${tg.toFixed(3)}) · pp base ${samples.base.pp.at(-1)?.toFixed(0)} head ${samples.head.pp.at(-1)?.toFixed(0)}`);
    }
  } finally {
    await base.dispose();
    await head.dispose();
  }
  return samples;
}

const model = benchModelPath('Q4_0', log);
log('building this checkout and the base (electron-vite build)');
execFileSync('npx', ['electron-vite', 'build'], { stdio: 'ignore' });
const checkout = checkoutBase(values.base);
log(`base ${checkout.commit} checked out in ${checkout.root}`);
try {
  const { base, head } = await compare(checkout.root, model);
  const headCommit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no'], { encoding: 'utf8' }).trim() !== '';
  const result = {
    date: new Date().toISOString(),
    base: checkout.commit,
    head: `${headCommit}${dirty ? ' (with uncommitted changes)' : ''}`,
    model: 'bench model Q4_0 (bench/model.ts)',
    rounds,
    generation: { base: figure(base.tg), head: figure(head.tg), headOverBase: pairedRatio(head.tg, base.tg) },
    promptEvaluation: { base: figure(base.pp), head: figure(head.pp), headOverBase: pairedRatio(head.pp, base.pp) },
    firstToken: { base: figure(base.ttft), head: figure(head.ttft), headOverBase: pairedRatio(head.ttft, base.ttft) },
  };
  log(describe('generation head/base', result.generation.headOverBase, '×'));
  log(describe('prompt evaluation head/base', result.promptEvaluation.headOverBase, '×'));
  log(describe('first token (ms) head/base', result.firstToken.headOverBase, '×'));
  if (values.out !== undefined) writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
  process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
} finally {
  checkout.remove();
}
