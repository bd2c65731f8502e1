/**
 * The kill test with a reduced round count, so `npm test` runs it every time; the full 200+
 * rounds run with `npm run test:kill -- --rounds 200` (see test/kill/kill-test.ts).
 */
import { describe, expect, it } from 'vitest';
import { runKillTest } from '../kill/kill-test';

const ROUNDS = Number(process.env.BURROW_KILL_ROUNDS ?? 20);

// Set BURROW_KILL_TEST=0 to skip it (e.g. a quick local run).
const enabled = process.env.BURROW_KILL_TEST !== '0';

describe.skipIf(!enabled)('kill -9 at random moments', () => {
  it(`leaves a sound database every time (${ROUNDS} rounds)`, async () => {
    const lines: string[] = [];
    // Lenient about a search index the kill left out of step (the open bug in kill-test.ts): it is
    // counted and printed, and the round still fails unless the app's start-up repairs it.
    const summary = await runKillTest({
      rounds: ROUNDS,
      seed: Number(process.env.BURROW_KILL_SEED ?? Date.now() % 1e9),
      strictSearchIndexes: false,
      log: (line) => lines.push(line),
    });
    console.info(`${lines.join('\n')}\n${JSON.stringify(summary)}`);
    expect(summary.rounds).toBe(ROUNDS);
    expect(summary.savedMessagesChecked).toBeGreaterThan(0);
    if (summary.searchIndexRepairs.length > 0) console.warn(`search indexes the app had to rebuild after a kill:\n${summary.searchIndexRepairs.join('\n')}`);
  }, 300_000);
});
