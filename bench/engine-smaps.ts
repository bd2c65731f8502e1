/**
 * Where the real engine process's resident memory sits (docs/performance.md, "Engine memory"):
 * the built engine worker (out/, `npm run build` first) started as the app starts it, a model
 * loaded, a 512-token prompt and a short reply; after each, RSS split into anonymous and
 * file-backed pages, then the largest mappings by name and the largest anonymous ones.
 *
 *   npx tsx bench/engine-smaps.ts [--model PATH]     default: the bench's Q4_0 model
 */
import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { BurrowUnderTest } from './lib/burrow-path';
import { benchModelPath, benchText } from './model';

const { values } = parseArgs({ options: { model: { type: 'string' } } });
const MIB = 1024 * 1024;
const modelPath = values.model ?? benchModelPath('Q4_0');

function rollup(pid: number): string {
  const text = readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8');
  const kb = (key: string): number => Number(new RegExp(`^${key}:\\s+(\\d+)`, 'm').exec(text)?.[1] ?? 0);
  const mib = (n: number): number => Math.round(n / 1024);
  return `RSS ${mib(kb('Rss'))} MiB: anonymous ${mib(kb('Anonymous'))}, file-backed ${mib(kb('Rss') - kb('Anonymous'))}`;
}

interface Mapping {
  name: string;
  rssKb: number;
}

function mappings(pid: number): Mapping[] {
  const list: Mapping[] = [];
  for (const line of readFileSync(`/proc/${pid}/smaps`, 'utf8').split('\n')) {
    const head = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) list.push({ name: head[1] || '[anonymous]', rssKb: 0 });
    const rss = /^Rss:\s+(\d+)/.exec(line);
    const last = list.at(-1);
    if (rss && last) last.rssKb = Number(rss[1]);
  }
  return list;
}

function breakdown(pid: number): void {
  const list = mappings(pid);
  const byName = new Map<string, number>();
  for (const { name, rssKb } of list) byName.set(name, (byName.get(name) ?? 0) + rssKb);
  for (const [name, kb] of [...byName].sort((a, b) => b[1] - a[1]).slice(0, 8)) console.log(`  ${String(Math.round(kb / 1024)).padStart(5)} MiB  ${name}`);
  const anonymous = list.filter((m) => m.name === '[anonymous]').map((m) => Math.round(m.rssKb / 1024)).sort((a, b) => b - a);
  console.log(`  largest anonymous mappings (MiB): ${anonymous.slice(0, 8).join(', ')}`);
}

const burrow = BurrowUnderTest.start(modelPath);
try {
  await burrow.call('models.load', { path: modelPath, force: true });
  const pid = burrow.enginePid;
  if (pid === undefined) throw new Error('the engine process did not start');
  console.log(`model file ${Math.round(statSync(modelPath).size / MIB)} MiB`);
  console.log(`after load: ${rollup(pid)}`);
  await burrow.turn(await burrow.newConversation(1), benchText(500, 11));
  console.log(`after a 512-token prompt: ${rollup(pid)}`);
  await burrow.turn(await burrow.newConversation(64), 'ra bit');
  console.log(`after a 64-token reply: ${rollup(pid)}`);
  breakdown(pid);
} finally {
  await burrow.dispose();
}
