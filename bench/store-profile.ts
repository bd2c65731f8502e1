/**
 * Where one message append goes, statement by statement, on a large history (issue 19, step 5).
 * Runs on a store kept by the search bench:
 *
 *   npx tsx bench/search-bench.ts --messages 1000000 --keep /tmp/store-1m
 *   npx tsx bench/store-profile.ts --dir /tmp/store-1m [--appends 400] [--pragma cache_size=-65536]
 *
 * Each round is `ConversationStore.addExchange` as the app runs it (timed whole), then the same
 * work taken apart: the statements it runs, one by one inside one transaction, and the commit.
 * Quiet-time maintenance runs between rounds, untimed, as the app's timer would.
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { ConversationStore } from '../src/core/store/conversations';
import { prepareConversationSql } from '../src/core/store/conversation-sql';
import { Storage } from '../src/core/store/storage';

const { values } = parseArgs({ options: { dir: { type: 'string' }, appends: { type: 'string', default: '400' }, pragma: { type: 'string', multiple: true }, 'no-maintenance': { type: 'boolean', default: false } } });
const maintain = (): void => {
  if (values['no-maintenance']) return;
  storage.maintenance.settle();
};
if (values.dir === undefined) throw new Error('--dir: a store kept by bench/search-bench.ts --keep');
const appends = Number(values.appends);
const storage = Storage.open(values.dir);
const db = storage.db;
for (const pragma of values.pragma ?? []) db.pragma(pragma);
const conversations = new ConversationStore(db);
const sql = prepareConversationSql(db);
const begin = db.prepare('BEGIN IMMEDIATE');
const commit = db.prepare('COMMIT');
const conversationCount = Number(db.prepare('SELECT count(*) FROM conversations').pluck().get());
const text = (n: number): string => `rabbit burrow tunnel meadow ${n} ` + 'quiet field river stone '.repeat(8);

const phases = new Map<string, number[]>();
function timed<T>(name: string, action: () => T): T {
  const started = performance.now();
  const value = action();
  const list = phases.get(name) ?? [];
  list.push(performance.now() - started);
  phases.set(name, list);
  return value;
}

for (let i = 0; i < appends; i++) {
  const conversationId = `c${2 + ((i * 7919) % Math.max(1, conversationCount - 2))}`;
  const whole = timed('addExchange (whole)', () => conversations.addExchange({ conversationId, text: text(i) }));
  maintain();

  const now = Date.now();
  timed('BEGIN', () => begin.run());
  const conversation = timed('getConversation', () => sql.getConversation.get(conversationId));
  const parentId = conversation?.active_leaf_id ?? whole.assistantMessage.id;
  timed('getMessage (parent check)', () => sql.getMessage.get(parentId));
  const user = timed('insert user message (+ search-queue trigger)', () =>
    sql.insertMessage.get({ id: randomUUID(), conversationId, parent_id: parentId, role: 'user', content: text(i), status: 'complete', error: null, created_at: now }),
  );
  timed('setActiveLeaf', () => sql.setActiveLeaf.run(user?.id ?? null, conversationId));
  timed('touch conversation', () => sql.touch.run(now, conversationId));
  timed('getConversation', () => sql.getConversation.get(conversationId));
  timed('getMessage (parent check)', () => sql.getMessage.get(user?.id ?? ''));
  const assistant = timed('insert empty answer', () =>
    sql.insertMessage.get({ id: randomUUID(), conversationId, parent_id: user?.id ?? null, role: 'assistant', content: '', status: 'streaming', error: null, created_at: now }),
  );
  timed('setActiveLeaf', () => sql.setActiveLeaf.run(assistant?.id ?? null, conversationId));
  timed('touch conversation', () => sql.touch.run(now, conversationId));
  timed('siblings', () => sql.siblings.all(conversationId, parentId));
  timed('COMMIT', () => commit.run());
  maintain();
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
console.log(`${conversationCount.toLocaleString()} conversations, ${appends} appends${values.pragma ? `, ${values.pragma.join(', ')}` : ''}`);
console.log('phase                                   p50 ms   p95 ms   mean ms (per append)');
for (const [name, list] of phases) {
  const perAppend = list.length / appends;
  const sorted = [...list].sort((a, b) => a - b);
  const mean = (list.reduce((sum, ms) => sum + ms, 0) / list.length) * perAppend;
  console.log(`${name.padEnd(38)} ${percentile(sorted, 50).toFixed(3).padStart(7)} ${percentile(sorted, 95).toFixed(3).padStart(8)} ${mean.toFixed(3).padStart(9)}`);
}
storage.close();
