import { describe, expect, it } from 'vitest';
import { AdaptiveFrameBudget, DEFAULT_FRAME_BUDGET } from '../../../src/renderer/lib/frame-budget';

describe('AdaptiveFrameBudget', () => {
  it('adds half as much text per frame while frames run long, down to a floor', () => {
    const frames = new AdaptiveFrameBudget();
    let now = 1000;
    expect(frames.begin(now).maxChars).toBe(DEFAULT_FRAME_BUDGET.startChars);
    const seen: number[] = [];
    for (let frame = 0; frame < 8; frame++) seen.push(frames.begin((now += 45)).maxChars);
    expect(seen.slice(0, 3)).toEqual([2048, 1024, 512]);
    expect(Math.min(...seen)).toBe(DEFAULT_FRAME_BUDGET.minChars);
  });

  it('grows again while frames keep up with the display, up to a ceiling', () => {
    const frames = new AdaptiveFrameBudget({ startChars: 1024 });
    let now = 0;
    frames.begin(now);
    const seen: number[] = [];
    for (let frame = 0; frame < 40; frame++) seen.push(frames.begin((now += 16.7)).maxChars);
    expect(seen[0]).toBe(1280);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThanOrEqual(seen[i - 1]!);
    expect(seen.at(-1)).toBe(DEFAULT_FRAME_BUDGET.maxChars);
  });

  it('keeps its pace over a frame in the target band, and learns nothing from an idle gap', () => {
    const frames = new AdaptiveFrameBudget();
    frames.begin(0);
    expect(frames.begin(25).maxChars).toBe(DEFAULT_FRAME_BUDGET.startChars);
    // Rendering stopped for a second (nothing to render): not a slow frame.
    expect(frames.begin(1025).maxChars).toBe(DEFAULT_FRAME_BUDGET.startChars);
  });

  it('starts again from its starting pace after an idle gap, never faster', () => {
    const frames = new AdaptiveFrameBudget();
    let now = 0;
    frames.begin(now);
    for (let frame = 0; frame < 40; frame++) frames.begin((now += 16.7));
    expect(frames.chars).toBe(DEFAULT_FRAME_BUDGET.maxChars);
    expect(frames.begin((now += 2000)).maxChars).toBe(DEFAULT_FRAME_BUDGET.startChars);
    // A slow machine's pace, below the start, is kept across the gap.
    for (let frame = 0; frame < 8; frame++) frames.begin((now += 45));
    expect(frames.chars).toBe(DEFAULT_FRAME_BUDGET.minChars);
    expect(frames.begin((now += 2000)).maxChars).toBe(DEFAULT_FRAME_BUDGET.minChars);
  });

  it('gives each frame a deadline for its own rendering time', () => {
    const frames = new AdaptiveFrameBudget({ renderMs: 4 });
    expect(frames.begin(500).deadline).toBe(504);
  });
});
