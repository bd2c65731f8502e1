/**
 * The soak test (SECURITY.md item 26; not part of `npm test`): minutes of mixed traffic against
 * the real core and the real engine process — chat, cancel, regenerate, search, documents
 * (add, summarise, remove), history imports and deletions — sampling the resident memory and the
 * handle counts of the core and of the engine every few seconds.
 *
 * It passes when nothing errors and memory grows by less than 5 % over the last two thirds of
 * the run (the last 20 minutes of the default 30), for the core and the engine each, compared
 * over five-minute windows (./judge.ts says why, and re-judges a recorded run).
 * SECURITY.md item 26 asks for 2 000 streamed answers and 200 summaries: `--answers` and
 * `--summaries` keep the run going past `--minutes` until both counts are reached (the nightly
 * workflow does), and the window is then the last two thirds of the whole run.
 *
 *   npm run soak                                  30 minutes, sample every 10 s
 *   npm run soak -- --answers 2000 --summaries 200   at least 30 minutes, until both are reached
 *   npm run soak -- --minutes 3 --sample 5        a short run while developing
 *   npm run soak -- --out bench/results/soak.json
 *   npm run soak -- --minutes 5 --ops reload      one kind of traffic only
 */
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';
import { rssOf } from '../../bench/lib/burrow-path';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import type { EventName, EventPayload } from '../../src/shared/contract';
import { connectInProcess } from '../../src/shared/in-process-client';
import { pdf, sentences } from '../support/sample-documents';
import { tinyModelPath } from '../support/tiny-model';
import { importArchive } from '../kill/kill-child';
import { describeVerdict, judgeSoak, type SoakSample } from './judge';

const { values: args } = parseArgs({
  options: {
    minutes: { type: 'string', default: '30' },
    sample: { type: 'string', default: '10' },
    out: { type: 'string' },
    /** Only some kinds of traffic, e.g. `--ops reload` to find which one grows memory. */
    ops: { type: 'string' },
    /** Keep going past --minutes until this many answers have streamed … */
    answers: { type: 'string', default: '0' },
    /** … and this many documents have been summarised. */
    summaries: { type: 'string', default: '0' },
    /** Answers per chat operation (one conversation): more makes answers the bulk of the traffic. */
    turns: { type: 'string', default: '2' },
  },
});
const minutes = Number(args.minutes);
const sampleEveryS = Number(args.sample);
const targets = { answers: Number(args.answers), summaries: Number(args.summaries) };
const turnsPerChat = Number(args.turns);
if (!(minutes > 0) || !(sampleEveryS > 0)) throw new Error('--minutes and --sample take positive numbers');
if (!(targets.answers >= 0) || !(targets.summaries >= 0) || !(turnsPerChat >= 1)) throw new Error('--answers and --summaries take counts, --turns a positive one');
/** What streamed: every answer that ended (done or cancelled), and every summary that completed. */
const streamed = { answers: 0, summaries: 0 };

function fdCount(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    return readdirSync(`/proc/${pid}/fd`).length;
  } catch {
    return Number.NaN;
  }
}

function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

const dataDir = mkdtempSync(join(tmpdir(), 'burrow-soak-'));
const documentPath = join(dataDir, 'soak-document.pdf');
writeFileSync(documentPath, pdf(Array.from({ length: 12 }, (_, page) => sentences(`page ${page + 1}`, 12, page + 1))));
const modelPath = tinyModelPath();
const assistant: Assistant = createAssistant({
  dataDir,
  spawnEngine: spawnNodeEngine(),
  grantedModels: [modelPath],
  autoLoadLastModel: false,
  pickModelFile: () => Promise.resolve(modelPath),
  pickDocumentFile: () => Promise.resolve(documentPath),
});

const client = connectInProcess(assistant);
const { call } = client;

/** Registers before the call that causes the event, so it can never be missed; resolves on the first match. */
function waitFor<K extends EventName>(name: K, match: (payload: EventPayload<K>) => boolean): Promise<EventPayload<K>> {
  return new Promise((resolve) => {
    const stop = client.on(name, (payload) => {
      if (!match(payload)) return;
      stop();
      resolve(payload);
    });
  });
}

/** Sends and waits for the end; with `cancelAfterFirstDelta`, cancels as soon as text streams. */
async function answer(conversationId: string, text: string, cancelAfterFirstDelta: boolean): Promise<void> {
  const { generationId } = await call('chat.send', { conversationId, text });
  let cancelling: Promise<unknown> | null = null;
  const end = await client.followGeneration(generationId, {
    onDelta: () => {
      if (cancelAfterFirstDelta) cancelling ??= call('chat.cancel', { generationId });
    },
  });
  await cancelling;
  if (end.reason === 'error') throw new Error(`answer failed: ${end.error?.message ?? '?'}`);
  streamed.answers++;
}

const allOperations: Array<[string, () => Promise<void>]> = [
  ['chat', async () => {
    const conversation = await call('conversations.create', {});
    await call('conversations.setSettings', { id: conversation.id, maxTokens: 24 });
    const questions = ['Tell me about rabbits and their burrows.', 'And what do they eat?', 'Where do they sleep?', 'How deep do they dig?'];
    for (let turn = 0; turn < turnsPerChat; turn++) await answer(conversation.id, questions[turn % questions.length] ?? 'Why?', false);
  }],
  ['cancel', async () => {
    const conversation = await call('conversations.create', {});
    await call('conversations.setSettings', { id: conversation.id, maxTokens: 200 });
    await answer(conversation.id, 'Write a long story about a warm burrow.', true);
  }],
  ['search', async () => {
    await call('search.query', { query: 'burrow' });
    await call('search.query', { query: 'rabbit eat' });
  }],
  ['document', async () => {
    const { document } = await call('documents.pick', {});
    if (document === null) throw new Error('documents.pick returned no document');
    const done = waitFor('document.summary', (payload) => payload.documentId === document.id);
    await call('documents.summarize', { documentId: document.id, style: 'brief' });
    const summary = await done;
    if (summary.status !== 'done') throw new Error(`summary ended ${summary.status}`);
    streamed.summaries++;
    await call('documents.remove', { documentId: document.id });
  }],
  ['import', async () => {
    await call('history.import', { content: importArchive(`soak-${Date.now()}`) });
  }],
  ['reload', async () => {
    await call('models.unload', {});
    await call('models.load', { path: modelPath });
  }],
  ['delete', async () => {
    const list = await call('conversations.list', {});
    for (const conversation of list.slice(10)) await call('conversations.delete', { id: conversation.id });
  }],
];

const chosen = args.ops?.split(',');
const operations = chosen === undefined ? allOperations : allOperations.filter(([name]) => chosen.includes(name));
if (operations.length === 0) throw new Error(`--ops names none of ${allOperations.map(([name]) => name).join(', ')}`);

function takeSample(startedAt: number, count: number): SoakSample {
  return {
    atS: Math.round((performance.now() - startedAt) / 1000),
    coreRss: process.memoryUsage().rss,
    coreHeap: process.memoryUsage().heapUsed,
    engineRss: rssOf(assistant.engine.pid),
    coreHandles: process.getActiveResourcesInfo().length,
    coreFds: fdCount(process.pid),
    engineFds: fdCount(assistant.engine.pid),
    walBytes: sizeOf(join(dataDir, 'burrow.sqlite-wal')),
    operations: count,
  };
}

const mb = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

async function main(): Promise<number> {
  await call('models.load', { path: modelPath });
  const startedAt = performance.now();
  const endAt = startedAt + minutes * 60_000;
  const samples: SoakSample[] = [];
  const errors: string[] = [];
  const counts = new Map<string, number>();
  let done = 0;
  const sampler = setInterval(() => {
    const sample = takeSample(startedAt, done);
    samples.push(sample);
    console.log(`${String(sample.atS).padStart(5)} s  core ${mb(sample.coreRss)} MB (heap ${mb(sample.coreHeap)})  engine ${mb(sample.engineRss)} MB  handles ${sample.coreHandles}  fds ${sample.coreFds}/${sample.engineFds}  wal ${mb(sample.walBytes)} MB  ops ${done}  answers ${streamed.answers}  summaries ${streamed.summaries}`);
  }, sampleEveryS * 1000);
  samples.push(takeSample(startedAt, 0));
  const goOn = (): boolean => performance.now() < endAt || (errors.length === 0 && (streamed.answers < targets.answers || streamed.summaries < targets.summaries));
  for (let i = 0; goOn(); i++) {
    const [name, run] = operations[i % operations.length] as [string, () => Promise<void>];
    try {
      await run();
      counts.set(name, (counts.get(name) ?? 0) + 1);
    } catch (error) {
      errors.push(`${name}: ${error instanceof Error ? error.message : String(error)}`);
      console.error(`[soak] ${name} failed:`, error);
    }
    done++;
  }
  clearInterval(sampler);
  samples.push(takeSample(startedAt, done));

  const totalS = Math.max(minutes * 60, (performance.now() - startedAt) / 1000);
  const reached = streamed.answers >= targets.answers && streamed.summaries >= targets.summaries;
  const verdict = judgeSoak({ samples, totalS, errors: errors.length, targetsReached: reached });
  const { passed } = verdict;
  const result = {
    kind: 'burrow-soak',
    date: new Date().toISOString(),
    minutes,
    ranMinutes: totalS / 60,
    sampleEveryS,
    operations: Object.fromEntries(counts),
    streamed,
    targets,
    errors,
    verdict,
    passed,
    samples,
  };
  console.log(`\noperations: ${[...counts].map(([name, n]) => `${name} ${n}`).join(', ')}; ${streamed.answers} answers and ${streamed.summaries} summaries in ${(totalS / 60).toFixed(1)} min`);
  console.log(`errors: ${errors.length}`);
  for (const line of describeVerdict(verdict)) console.log(line);
  if (args.out !== undefined) {
    mkdirSync(dirname(args.out), { recursive: true });
    writeFileSync(args.out, `${JSON.stringify(result, null, 2)}\n`);
  }
  return passed ? 0 : 1;
}

let code = 1;
try {
  code = await main();
} finally {
  await assistant.dispose();
  rmSync(dataDir, { recursive: true, force: true });
}
process.exit(code);
