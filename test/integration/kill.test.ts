/**
 * The kill test with a reduced round count, so `npm test` runs it every time; the full 200+
 * rounds run with `npm run test:kill -- --rounds 200` (see test/kill/kill-test.ts).
 */
import { describe, expect, it } from 'vitest';
import { runKillTest } from '../kill/kill-test';

const ROUNDS = Number(process.env.BURROW_KILL_ROUNDS ?? 20);

describe('kill -9 at random moments', () => {
  it(`leaves a sound database every time (${ROUNDS} rounds)`, async () => {
    const lines: string[] = [];
    const summary = await runKillTest({ rounds: ROUNDS, seed: Number(process.env.BURROW_KILL_SEED ?? Date.now() % 1e9), log: (line) => lines.push(line) });
    console.info(`${lines.join('\n')}\n${JSON.stringify(summary)}`);
    expect(summary.rounds).toBe(ROUNDS);
    expect(summary.savedMessagesChecked).toBeGreaterThan(0);
  }, 300_000);
});
