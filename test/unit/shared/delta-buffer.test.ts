import { describe, expect, it } from 'vitest';
import { DeltaBuffer } from '../../../src/shared/delta-buffer';

describe('DeltaBuffer', () => {
  it('appends deltas in seq order and says when the text changed', () => {
    const buffer = new DeltaBuffer();
    expect(buffer.push(0, 'one ')).toBe(true);
    expect(buffer.push(1, 'two')).toBe(true);
    expect(buffer.text).toBe('one two');
  });

  it('holds a delta that arrives early until the ones before it came', () => {
    const buffer = new DeltaBuffer();
    expect(buffer.push(2, 'c')).toBe(false);
    expect(buffer.push(1, 'b')).toBe(false);
    expect(buffer.text).toBe('');
    expect(buffer.push(0, 'a')).toBe(true);
    expect(buffer.text).toBe('abc');
  });

  it('ignores duplicates and stale deltas', () => {
    const buffer = new DeltaBuffer();
    buffer.push(0, 'a');
    buffer.push(2, 'c');
    expect(buffer.push(0, 'a')).toBe(false);
    expect(buffer.push(2, 'C')).toBe(false);
    expect(buffer.push(1, 'b')).toBe(true);
    expect(buffer.text).toBe('abc');
  });
});
