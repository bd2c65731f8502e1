import { describe, expect, it } from 'vitest';
import { modelLabel } from '../../../src/shared/model-label';

describe('modelLabel', () => {
  it('names the model alone, or with its adapters', () => {
    expect(modelLabel('TinyLlama', undefined)).toBe('TinyLlama');
    expect(modelLabel('TinyLlama', [])).toBe('TinyLlama');
    expect(modelLabel('TinyLlama', [{ name: 'my-adapter' }])).toBe('TinyLlama + my-adapter');
    expect(modelLabel('TinyLlama', [{ name: 'a' }, { name: ' ' }, { name: 'b ' }])).toBe('TinyLlama + a + b');
  });
});
