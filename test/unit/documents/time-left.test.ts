import { describe, expect, it } from 'vitest';
import { TimeLeftEstimator } from '../../../src/core/documents/time-left';

describe('TimeLeftEstimator', () => {
  it('knows nothing before a step was measured', () => {
    expect(new TimeLeftEstimator().secondsFor([{ promptTokens: 500, answerBudget: 100 }])).toBeNull();
  });

  it('prices a long final step from the reading and writing rates, where a whole-step average says "1 s left"', () => {
    // The run: short map steps (300 tokens read at 100 tokens/s, 40 written at 20 tokens/s:
    // 5 s each), then one final step reading 1 500 tokens and writing 256.
    const estimator = new TimeLeftEstimator();
    for (let i = 0; i < 6; i++) estimator.record({ promptTokens: 300, readMs: 3000, answerTokens: 40, answerBudget: 64, writeMs: 2000 });
    const finalStep = { promptTokens: 1500, answerBudget: 256 };
    const truth = 1500 / 100 + (256 * (40 / 64)) / 20; // 15 s reading + 8 s writing, at the measured fill
    const averagePerStep = 5; // what "time per step × steps left" says for one step left
    expect(estimator.secondsFor([finalStep])).toBe(Math.round(truth));
    expect(Math.abs((estimator.secondsFor([finalStep]) ?? 0) - truth)).toBeLessThan(Math.abs(averagePerStep - truth));
  });

  it('adds up the steps left, and says 0 when none is', () => {
    const estimator = new TimeLeftEstimator();
    estimator.record({ promptTokens: 200, readMs: 1000, answerTokens: 50, answerBudget: 50, writeMs: 2500 });
    // 5 ms a token read, 50 ms a token written, every budget used.
    expect(estimator.fill).toBe(1);
    expect(estimator.secondsFor([{ promptTokens: 200, answerBudget: 50 }, { promptTokens: 400, answerBudget: 100 }])).toBe(Math.round((1000 + 2500 + 2000 + 5000) / 1000));
    expect(estimator.secondsFor([])).toBe(0);
  });
});
