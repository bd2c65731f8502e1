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

describe('DeltaBuffer.catchUp', () => {
  it('joins an answer under way: takes the text so far, keeps deltas waiting from there, ignores older ones', () => {
    const buffer = new DeltaBuffer();
    // Deltas 5 and 4 reached this window before it asked what came before them.
    buffer.push(5, ' five');
    buffer.push(4, ' four');
    expect(buffer.text).toBe('');
    expect(buffer.catchUp('zero one two three', 4)).toBe(true);
    expect(buffer.text).toBe('zero one two three four five');
    expect(buffer.push(3, ' three again')).toBe(false);
    expect(buffer.push(6, ' six')).toBe(true);
    expect(buffer.text).toBe('zero one two three four five six');
  });

  it('leaves a buffer that is already further along as it is', () => {
    const buffer = new DeltaBuffer();
    buffer.push(0, 'a');
    buffer.push(1, 'b');
    expect(buffer.catchUp('a', 1)).toBe(false);
    expect(buffer.text).toBe('ab');
  });
});
