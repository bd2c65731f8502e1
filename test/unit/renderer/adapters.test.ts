import { describe, expect, it } from 'vitest';
import { clampScale, withAdapters } from '../../../src/renderer/lib/adapter-text';

describe('the model chip with adapters', () => {
  it('names one adapter, counts several, and leaves a model without any alone', () => {
    expect(withAdapters('TinyLlama', undefined)).toBe('TinyLlama');
    expect(withAdapters('TinyLlama', [])).toBe('TinyLlama');
    expect(withAdapters('TinyLlama', [{ name: 'my-adapter' }])).toBe('TinyLlama + my-adapter');
    expect(withAdapters('TinyLlama', [{ name: 'a' }, { name: 'b' }])).toBe('TinyLlama + 2 adapters');
  });
});

describe('adapter scales', () => {
  it('keeps a scale within 0–2 at two decimals; anything unreadable is 1', () => {
    expect(clampScale(0.5)).toBe(0.5);
    expect(clampScale(-1)).toBe(0);
    expect(clampScale(7)).toBe(2);
    expect(clampScale(1.23456)).toBe(1.23);
    expect(clampScale(Number.NaN)).toBe(1);
    expect(clampScale(Number.POSITIVE_INFINITY)).toBe(1);
  });
});
