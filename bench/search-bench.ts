/**
 * Search and storage at scale: builds a history of N messages (Zipf-distributed words, like
 * real text) through the real schema and triggers, then times typical searches — rare and
 * common words, prefixes while typing, phrases — plus open (quick_check), a daily backup and a
 * delete.
 *
 *   npx tsx bench/search-bench.ts [--messages 1000000] [--runs 30] [--keep DIR] [--json]
 *
 * Prints p50/p95 per query and over all of them, message appends (a question and its answer,
 * as chat.send saves them) p50/p95 on the full store in a conversation's rhythm and in a burst,
 * and the time to open a conversation. With --json, the last line is
 * those figures as JSON (npm run bench reads it). Timings depend on the machine and its load;
 * the test suite only asserts generous bounds.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SearchIndex } from '../src/core/store/search';
import { SearchQueue } from '../src/core/store/search-queue';
import { Backups, VACUUM_BACKUP_MAX_BYTES } from '../src/core/store/backups';
import { snapshotInto } from '../src/core/store/snapshot';
import { ConversationStore } from '../src/core/store/conversations';
import { closeDatabase, databasePath, openDatabase } from '../src/core/store/database';
import { Storage } from '../src/core/store/storage';

const { values } = parseArgs({ options: { messages: { type: 'string', default: '200000' }, runs: { type: 'string', default: '30' }, keep: { type: 'string' }, json: { type: 'boolean', default: false } } });
const total = Number(values.messages);
const runs = Number(values.runs);
const dataDir = values.keep ?? mkdtempSync(join(tmpdir(), 'burrow-bench-'));

let seed = 12345;
const random = (): number => {
  seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
  return seed / 4294967296;
};
const syllables = ['ra', 'bit', 'bur', 'row', 'mo', 'ss', 'fi', 'eld', 'qui', 'et', 'tun', 'nel', 'sto', 'ne', 'ri', 'ver', 'lea', 'f', 'see', 'd', 'ho', 'me', 'sa', 'fe', 'ni', 'ght', 'da', 'y', 'war', 'm'];
const vocabulary = Array.from({ length: 20_000 }, (_, i) => {
  let word = '';
  let n = i + 7;
  do {
    word += syllables[n % syllables.length];
    n = Math.floor(n / syllables.length);
  } while (n > 0);
  return word;
});
// Zipf: word k has weight 1/k; sampled through the cumulative distribution.
const cumulative: number[] = [];
vocabulary.reduce((sum, _, k) => {
  cumulative.push(sum + 1 / (k + 1));
  return sum + 1 / (k + 1);
}, 0);
const totalWeight = cumulative.at(-1) ?? 1;
const word = (): string => {
  const target = random() * totalWeight;
  let low = 0;
  let high = cumulative.length - 1;
  while (low < high) {
    const mid = (low + high) >> 1;
    if ((cumulative[mid] ?? 0) < target) low = mid + 1;
    else high = mid;
  }
  return vocabulary[low] ?? 'the';
};
const sentence = (): string => Array.from({ length: 20 + Math.floor(random() * 100) }, word).join(' ');

function time<T>(action: () => T): { value: T; ms: number } {
  const started = performance.now();
  const value = action();
  return { value, ms: performance.now() - started };
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

const file = databasePath(dataDir);
console.log(`Building ${total.toLocaleString()} messages in ${file} …`);
const build = time(() => {
  const db = openDatabase(file);
  const perConversation = 40;
  const insertConversation = db.prepare('INSERT INTO conversations (id, title, created_at, updated_at, active_leaf_id) VALUES (?, ?, ?, ?, ?)');
  const insertMessage = db.prepare(
    "INSERT INTO messages (id, conversation_id, parent_id, seq, role, content, status, created_at) VALUES (?, ?, ?, ?, ?, ?, 'complete', ?)",
  );
  // Saved messages wait for the search index (migration 6); each batch indexes its own, as an import does.
  const searchQueue = new SearchQueue(db);
  for (let start = 0; start < total; start += 10_000) {
    db.transaction(() => {
      for (let n = start; n < Math.min(total, start + 10_000); n++) {
        const c = Math.floor(n / perConversation);
        const seq = n % perConversation;
        if (seq === 0) insertConversation.run(`c${c}`, `${word()} ${word()} ${word()}`, n, n, `m${Math.min(total, n + perConversation) - 1}`);
        insertMessage.run(`m${n}`, `c${c}`, seq === 0 ? null : `m${n - 1}`, seq + 1, seq % 2 === 0 ? 'user' : 'assistant', sentence(), n);
      }
      searchQueue.indexAll();
    })();
  }
  closeDatabase(db);
});
const sizeMb = statSync(file).size / 1024 / 1024;
console.log(`built in ${(build.ms / 1000).toFixed(1)} s; database ${sizeMb.toFixed(0)} MB`);

const opened = time(() => Storage.open(dataDir));
const storage = opened.value;
console.log(`open with quick_check: ${opened.ms.toFixed(0)} ms`);
const search = new SearchIndex(storage.db);

const rare = vocabulary[15_000] ?? 'x';
const medium = vocabulary[300] ?? 'x';
const common = vocabulary[0] ?? 'x';
const queries = [
  ['rare word', rare],
  ['medium word', medium],
  ['common word (fallback)', common],
  ['two words', `${medium} ${vocabulary[500] ?? ''}`],
  ['phrase', `"${vocabulary[2] ?? ''} ${vocabulary[3] ?? ''}"`],
  ['typing: 2 letters', medium.slice(0, 2)],
  ['typing: 3 letters', medium.slice(0, 3)],
  ['typing: 5 letters', medium.slice(0, 5)],
  ['typing: rare prefix', rare.slice(0, Math.max(3, rare.length - 1))],
] as const;

const all: number[] = [];
console.log('\nquery                      order       hits   p50 ms   p95 ms');
for (const [label, query] of queries) {
  const times: number[] = [];
  let order = '';
  let hits = 0;
  for (let i = 0; i < runs; i++) {
    const result = search.search(query, 50);
    times.push(result.tookMs);
    order = result.order;
    hits = result.groups.reduce((sum, group) => sum + group.hits.length, 0);
  }
  times.sort((a, b) => a - b);
  all.push(...times);
  console.log(`${label.padEnd(26)} ${order.padEnd(10)} ${String(hits).padStart(5)} ${percentile(times, 50).toFixed(2).padStart(8)} ${percentile(times, 95).toFixed(2).padStart(8)}`);
}
all.sort((a, b) => a - b);
console.log(`all queries: p50 ${percentile(all, 50).toFixed(2)} ms, p95 ${percentile(all, 95).toFixed(2)} ms, max ${(all.at(-1) ?? 0).toFixed(2)} ms`);

const backups = new Backups(dataDir);
const started = performance.now();
const vacuumed = time(() => snapshotInto(storage.db, join(dataDir, 'vacuum-into.sqlite')));
console.log(`\nVACUUM INTO copy: ${vacuumed.ms.toFixed(0)} ms (blocks the process)`);
await backups.makeDaily(storage.db);
console.log(`daily backup as made (VACUUM INTO up to ${VACUUM_BACKUP_MAX_BYTES / 1024 / 1024} MB, online backup above): ${(performance.now() - started - vacuumed.ms).toFixed(0)} ms`);
const conversations = new ConversationStore(storage.db);
// Appends as chat.send makes them: a question and its empty answer in one transaction (timed),
// then the answer's text when it is done (timed apart: one write each). Two rhythms:
//   - a conversation: between one answer and the next question the app has quiet seconds (the
//     answer streaming, the user reading and typing), in which its maintenance folds the WAL back
//     and merges index segments (src/core/store/maintenance.ts). That work is done here, untimed,
//     exactly as the app's timer would do it, and the next append is timed after it;
//   - a burst: back to back with no quiet moment (an import, a script), so that work piles up
//     into the commits that hit SQLite's own limits.
function appendRound(count: number, quiet: boolean): { appends: number[]; updates: number[] } {
  const appends: number[] = [];
  const updates: number[] = [];
  for (let i = 0; i < count; i++) {
    // c0 and c1 are left alone: c1 is deleted below.
    const conversationId = `c${2 + ((i * 7919) % Math.max(1, Math.floor(total / 40) - 2))}`;
    const appended = time(() => conversations.addExchange({ conversationId, text: sentence() }));
    appends.push(appended.ms);
    const answer = sentence();
    updates.push(time(() => conversations.updateMessage(appended.value.assistantMessage.id, { content: answer, status: 'complete' })).ms);
    if (quiet) storage.maintenance.settle();
  }
  return { appends: appends.sort((a, b) => a - b), updates: updates.sort((a, b) => a - b) };
}
const appendCount = Math.max(200, runs * 20);
const burst = appendRound(appendCount, false);
console.log(`\nburst: append (question + empty answer, ${appendCount} times): p50 ${percentile(burst.appends, 50).toFixed(2)} ms, p95 ${percentile(burst.appends, 95).toFixed(2)} ms`);
console.log(`burst: finish an answer (its text): p50 ${percentile(burst.updates, 50).toFixed(2)} ms, p95 ${percentile(burst.updates, 95).toFixed(2)} ms`);
storage.maintenance.settle();
const { appends, updates } = appendRound(appendCount, true);
console.log(`conversation: append (question + empty answer, ${appendCount} times): p50 ${percentile(appends, 50).toFixed(2)} ms, p95 ${percentile(appends, 95).toFixed(2)} ms`);
console.log(`conversation: finish an answer (its text): p50 ${percentile(updates, 50).toFixed(2)} ms, p95 ${percentile(updates, 95).toFixed(2)} ms`);
const removed = time(() => conversations.delete('c1'));
console.log(`delete a 40-message conversation: ${removed.ms.toFixed(1)} ms`);
const opens = Array.from({ length: 40 }, (_, i) => time(() => conversations.get(`c${2 + ((i * 104_729) % Math.max(1, Math.floor(total / 40) - 2))}`)).ms).sort((a, b) => a - b);
console.log(`open a conversation (conversations.get, ${opens.length} of them): p50 ${percentile(opens, 50).toFixed(2)} ms, p95 ${percentile(opens, 95).toFixed(2)} ms`);
const list = time(() => conversations.list());
console.log(`conversations.list (${list.value.length.toLocaleString()} conversations): ${list.ms.toFixed(0)} ms`);

storage.close();
if (values.json) {
  console.log(JSON.stringify({ messages: total, searchP50: percentile(all, 50), searchP95: percentile(all, 95), appendP50: percentile(appends, 50), appendP95: percentile(appends, 95), updateP95: percentile(updates, 95), burstAppendP95: percentile(burst.appends, 95), openP95: percentile(opens, 95), buildSeconds: build.ms / 1000 }));
}
if (values.keep === undefined) rmSync(dataDir, { recursive: true, force: true });
