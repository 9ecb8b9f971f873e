import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { judgeIncoming, sameObservation, type Register } from './register.ts';
import type { Signal } from './signal.ts';

/**
 * Freshness (README "A signal"): a re-sent observation without sourceTime or sourceVersion is new
 * and stamped again; only a signal with the same `id` (idempotency key), or the same observation
 * with the same sourceVersion or the same sourceTime, is a duplicate that changes nothing.
 */
const obs = fc.record(
  {
    availability: fc.constantFrom(3500, 6500),
    sourceVersion: fc.constantFrom(1, 2),
    sourceTime: fc.constantFrom(1000, 2000),
    id: fc.constantFrom('r1', 'r2'),
  },
  { requiredKeys: [] },
);
const signal = (o: Partial<Signal>): Signal => ({ person: 'a', source: 's', endpoint: 'e', category: 'device', expireType: 'device', ...o });

describe('judgeIncoming: what a duplicate is', () => {
  it('is a duplicate exactly when the id repeats, or the same observation carries the same version or time', () => {
    fc.assert(
      fc.property(obs, obs, (c, i) => {
        const current: Register = { ...signal(c), publishedAt: 5 };
        const incoming = signal(i);
        const out = judgeIncoming(current, incoming);
        const sameId = incoming.id !== undefined && incoming.id === current.id;
        const keyed = (incoming.sourceVersion !== undefined && incoming.sourceVersion === current.sourceVersion) || (incoming.sourceTime !== undefined && incoming.sourceTime === current.sourceTime);
        expect(out === 'duplicate').toBe(sameId || (keyed && sameObservation(current, incoming)));
      }),
      { numRuns: 500 },
    );
  });

  it('a re-sent observation without sourceTime, sourceVersion or id is always new (applied, stamped again)', () => {
    fc.assert(
      fc.property(fc.constantFrom(3500, 6500, 15500), fc.constantFrom<Signal['machineState']>('active', 'inactive', undefined), (availability, machineState) => {
        const s = signal({ availability, ...(machineState !== undefined ? { machineState } : {}) });
        expect(judgeIncoming({ ...s, publishedAt: 5 }, s)).toBe('applied');
      }),
    );
  });

  it('never lets an older version or time replace a newer one, whatever else it carries', () => {
    fc.assert(
      fc.property(obs, obs, (c, i) => {
        const current: Register = { ...signal(c), publishedAt: 5 };
        const incoming = signal(i);
        const older =
          incoming.sourceVersion !== undefined && current.sourceVersion !== undefined
            ? incoming.sourceVersion < current.sourceVersion
            : incoming.sourceTime !== undefined && current.sourceTime !== undefined && incoming.sourceTime < current.sourceTime;
        if (older) expect(judgeIncoming(current, incoming)).not.toBe('applied');
      }),
      { numRuns: 500 },
    );
  });
});
