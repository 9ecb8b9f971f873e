import { describe, expect, it } from 'vitest';
import { fuzz } from '../../scripts/fuzz/directory.ts';

describe('directory mappings fuzz sample', () => {
  it.each([1, 2])('1 000 random entries (seed %i) map without crash or invalid output', (seed) => {
    expect(fuzz(1000, seed)).toEqual({ cases: 1000 });
  });
});
