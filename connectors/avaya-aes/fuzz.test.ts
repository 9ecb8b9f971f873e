import { describe, expect, it } from 'vitest';
import { fuzz } from '../../scripts/fuzz/dmcc.ts';

describe('DMCC framing and XML reader under fuzzing (sample; full run: npm run fuzz -- --only dmcc)', () => {
  it.each([1, 2])('2 000 mutated cases with seed %i raise only parse refusals', (seed) => {
    expect(fuzz(2000, seed).cases).toBe(2000);
  });
});
