import { describe, expect, it } from 'vitest';
import { judgeSoak, type SoakSample } from '../../soak/judge';

const MB = 1024 * 1024;

/** A 38-minute run sampled every 10 s; `engine(atS)` and `core(atS)` give resident memory in MB. */
function run(engine: (atS: number) => number, core: (atS: number) => number = () => 100, extra: Partial<SoakSample> = {}): SoakSample[] {
  return Array.from({ length: 229 }, (_, i) => {
    const atS = i * 10;
    return { atS, coreRss: core(atS) * MB, coreHeap: 25 * MB, engineRss: engine(atS) * MB, coreHandles: 9, coreFds: 38, engineFds: 20, walBytes: MB, operations: i * 3, ...extra };
  });
}

/** The engine's sawtooth: from 108 MB, climbing 3 MB per 10 s for 80 s, then back (as recorded). */
const sawtooth = (atS: number): number => 108 + 3 * ((atS % 90) / 10);
const judge = (samples: SoakSample[], overrides: Partial<Parameters<typeof judgeSoak>[0]> = {}) =>
  judgeSoak({ samples, totalS: 2280, errors: 0, targetsReached: true, ...overrides });

describe('the soak verdict', () => {
  it('passes a flat sawtooth: long windows cover whole cycles', () => {
    const verdict = judge(run(sawtooth));
    expect(verdict.windowS).toBe(300);
    expect(Math.abs(verdict.growth.engine.median)).toBeLessThan(0.05);
    expect(Math.abs(verdict.growth.engine.floor)).toBeLessThan(0.01);
    expect(verdict.passed).toBe(true);
  });

  it('fails a leak: 15 % over the run (about 8 % between the windows) raises the floor and the median alike', () => {
    const leaking = (atS: number): number => sawtooth(atS) * (1 + (0.15 * atS) / 2280);
    const verdict = judge(run(leaking));
    expect(verdict.growth.engine.floor).toBeGreaterThan(0.05);
    expect(verdict.growth.engine.median).toBeGreaterThan(0.05);
    expect(verdict.passed).toBe(false);
    expect(verdict.reasons.join()).toContain('engine memory grew');
  });

  it('fails the core too, errors, climbing descriptors, a large WAL, and targets not reached', () => {
    expect(judge(run(sawtooth, (atS) => 100 + atS / 100)).reasons.join()).toContain('core memory grew');
    expect(judge(run(sawtooth), { errors: 1 }).reasons).toEqual(['1 operations failed']);
    expect(judge(run(sawtooth), { targetsReached: false }).passed).toBe(false);
    const climbing = run(sawtooth).map((sample) => ({ ...sample, engineFds: 20 + Math.floor(sample.atS / 300) }));
    expect(judge(climbing).reasons.join()).toContain('descriptors climbed');
    expect(judge(run(sawtooth, undefined, { walBytes: 81 * MB })).reasons.join()).toContain('WAL');
  });

  it('does not pass a run too short to have samples in its windows', () => {
    expect(judge(run(sawtooth).slice(0, 3)).passed).toBe(false);
  });

  it('keeps windows inside the span it judges on a short run', () => {
    const verdict = judgeSoak({ samples: run(sawtooth).slice(0, 19), totalS: 180, errors: 0, targetsReached: true });
    expect(verdict.windowFromS).toBe(60);
    expect(verdict.windowS).toBe(60);
  });
});
