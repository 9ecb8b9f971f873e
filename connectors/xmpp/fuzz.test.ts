import { describe, expect, it } from 'vitest';
import { fuzz } from '../../scripts/fuzz/xmpp.ts';

// The sample of scripts/fuzz/xmpp.ts in `npm test` (a few hundred cases per seed keeps test:unit fast);
// the full run is `npm run fuzz -- --only xmpp`.
describe('xmpp inbound fuzz sample', () => {
  it.each([1, 2])('400 mutated streams (seed %i): refused cleanly or read, never a crash', (seed) => {
    expect(fuzz(400, seed)).toEqual({ cases: 400 });
  });
});
