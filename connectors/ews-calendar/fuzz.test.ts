import { describe, expect, it } from 'vitest';
import { fuzz } from '../../scripts/fuzz/ews.ts';

// The sample of scripts/fuzz/ews.ts in `npm test`; `npm run fuzz -- --only ews` runs the full one.
describe('EWS answers, mutated, through the client', () => {
  it('end as results or classified errors, never a crash or an unhandled rejection', async () => {
    const res = await fuzz(50, 11);
    expect(res.cases).toBe(50);
    expect(res.hubErrors).toBeGreaterThan(0);
  }, 60_000);
});
