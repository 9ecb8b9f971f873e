import { describe, expect, it } from 'vitest';
import { fuzz } from '../../scripts/fuzz/sip.ts';

describe('SIP and XML parsers under fuzzing (sample; full run: npm run fuzz -- --only sip)', () => {
  it.each([1, 2])('500 mutated cases with seed %i raise only parse refusals', (seed) => {
    expect(fuzz(500, seed).cases).toBe(500);
  });
});
