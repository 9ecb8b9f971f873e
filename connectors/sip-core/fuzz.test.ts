import { describe, expect, it } from 'vitest';
import { fuzz } from '../../scripts/fuzz/sip.ts';

describe('SIP and XML parsers under fuzzing (sample; full run: tsx scripts/fuzz/sip.ts 100000)', () => {
  it.each([1, 2])('2 000 mutated cases with seed %i raise only parse refusals', (seed) => {
    expect(fuzz(2000, seed).cases).toBe(2000);
  });
});
