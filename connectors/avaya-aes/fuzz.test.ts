import { describe, expect, it } from 'vitest';
import { fuzz } from '../../scripts/fuzz/dmcc.ts';

describe('DMCC framing and XML reader under fuzzing (sample; full run: npm run fuzz -- --only dmcc)', () => {
  it.each([1, 2])('500 mutated cases with seed %i raise only parse refusals', (seed) => {
    expect(fuzz(500, seed).cases).toBe(500);
  });
});
