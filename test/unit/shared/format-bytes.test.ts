import { describe, expect, it } from 'vitest';
import { formatBytes } from '../../../src/shared/format-bytes';

describe('formatBytes', () => {
  it('states a size one way: decimal units, at most three digits', () => {
    expect(formatBytes(0)).toBe('0 B');
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(4096)).toBe('4.1 kB');
    expect(formatBytes(668_788_416)).toBe('669 MB');
    expect(formatBytes(999_600)).toBe('1.0 MB');
    expect(formatBytes(2 * 1024 ** 3)).toBe('2.1 GB');
    expect(formatBytes(12_500_000_000)).toBe('13 GB');
  });

  it('says "?" for what is not a size', () => {
    expect(formatBytes(Number.NaN)).toBe('?');
    expect(formatBytes(-1)).toBe('?');
  });
});
