/** Store figures: message append p95 and search p50/p95, from bench/search-bench.ts run at each size. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolveEngineEntry } from '../../src/core/process/node-spawn';
import type { Report } from './report';
import { figure } from './stats';

interface StoreRun {
  messages: number;
  searchP50: number;
  searchP95: number;
  appendP50: number;
  appendP95: number;
  updateP95: number;
  burstAppendP95: number;
  openP95: number;
  buildSeconds: number;
}

function runSearchBench(messages: number, runs: number): Promise<StoreRun> {
  const script = fileURLToPath(new URL('../search-bench.ts', import.meta.url));
  const { execArgv } = resolveEngineEntry({ fromSource: true });
  return new Promise<StoreRun>((resolve, reject) => {
    execFile(process.execPath, [...execArgv, script, '--messages', String(messages), '--runs', String(runs), '--json'], { maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      if (error) return reject(error);
      const lastLine = stdout.trim().split('\n').at(-1) ?? '';
      try {
        resolve(JSON.parse(lastLine) as StoreRun);
      } catch {
        reject(new Error(`search-bench printed no result: ${lastLine}`));
      }
    });
  });
}

export async function storeFigures(report: Report, sizes: readonly number[], runs: number, log: (line: string) => void, note: string): Promise<void> {
  for (const messages of sizes) {
    log(`store: building ${messages.toLocaleString()} messages …`);
    const result = await runSearchBench(messages, runs);
    log(`store ${messages}: built in ${result.buildSeconds.toFixed(0)} s; search p95 ${result.searchP95.toFixed(1)} ms; append p95 ${result.appendP95.toFixed(2)} ms`);
    const label = messages >= 1_000_000 ? `${messages / 1_000_000}M` : `${messages / 1000}k`;
    report.add({
      key: `store_append_${messages}`,
      label: `store append p95, ${label} messages`,
      unit: 'ms',
      burrow: figure([result.appendP95]),
      target: { text: '≤ 1 ms', value: result.appendP95, met: result.appendP95 <= 1 },
      note: `p50 ${result.appendP50.toFixed(2)} ms; a question and its empty answer in one transaction, as chat.send saves them, in a conversation's rhythm (the store's quiet-time maintenance runs between exchanges, as in the app); saving the finished answer p95 ${result.updateP95.toFixed(2)} ms; back to back with no quiet moment p95 ${result.burstAppendP95.toFixed(2)} ms${note}`,
    });
    report.add({
      key: `store_open_${messages}`,
      label: `open a conversation p95, ${label} messages`,
      unit: 'ms',
      burrow: figure([result.openP95]),
      note: `conversations.get of 40 conversations of 40 messages (the branch and its siblings)${note}`,
    });
    report.add({
      key: `store_search_${messages}`,
      label: `search p95, ${label} messages`,
      unit: 'ms',
      burrow: figure([result.searchP95]),
      ...(messages >= 1_000_000 ? { target: { text: '≤ 50 ms', value: result.searchP95, met: result.searchP95 <= 50 } } : {}),
      note: `p50 ${result.searchP50.toFixed(1)} ms over 9 query kinds × ${runs} runs${note}`,
    });
  }
}
