import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MACHINE_STATES } from '../model/availability.ts';
import type { Register } from '../model/register.ts';
import { CATEGORIES } from '../model/signal.ts';
import { aggregate, judge } from './aggregate.ts';
import { DEFAULT_RULES } from './rules-config.ts';

const T0 = Date.parse('2026-11-22T09:00:00Z');

/** Registers with distinct keys (as a store holds them) and distinct publication times. */
const registersArb = fc
  .uniqueArray(
    fc.record({
      source: fc.constantFrom('teams', 'pbx', 'cal'),
      endpoint: fc.constantFrom('a', 'b', 'c'),
      category: fc.constantFrom(...CATEGORIES),
      availability: fc.option(fc.integer({ min: 3000, max: 20000 }), { nil: undefined }),
      token: fc.option(fc.constantFrom('on-the-phone', 'in-a-meeting', 'presenting', 'zzz'), { nil: undefined }),
      machineState: fc.constantFrom(...MACHINE_STATES),
      expireType: fc.constantFrom('device', 'user', 'time', 'endpoint' as const),
      age: fc.integer({ min: 0, max: 30 * 60_000 }),
      window: fc.option(fc.tuple(fc.integer({ min: -3_600_000, max: 3_600_000 }), fc.integer({ min: 1, max: 3_600_000 })), { nil: undefined }),
    }),
    { selector: (r) => `${r.source}/${r.endpoint}/${r.category}`, maxLength: 12 },
  )
  .map((rows) =>
    rows.map((r, i): Register => {
      const base = {
        person: 'p',
        source: r.source,
        endpoint: r.endpoint,
        category: r.category,
        expireType: r.expireType,
        publishedAt: T0 - r.age - i * 1e-3,
        sourceTime: T0 - r.age,
      };
      const extra: Record<string, unknown> = {};
      if (r.category === 'machine') extra.machineState = r.machineState;
      else {
        if (r.availability !== undefined) extra.availability = r.availability;
        if (r.token !== undefined) extra.activity = { token: r.token };
      }
      if (r.window !== undefined) {
        extra.from = T0 + r.window[0];
        extra.until = T0 + r.window[0] + r.window[1];
      }
      return { ...base, ...extra } as Register;
    }),
  );

const strip = (j: ReturnType<typeof aggregate>) => ({ ...j, explanation: undefined });

describe('aggregate: properties', () => {
  it('gives the same presence for the same registers in any order', () => {
    fc.assert(
      fc.property(registersArb, fc.infiniteStream(fc.nat()), (regs, stream) => {
        const shuffled = [...regs];
        const it = stream[Symbol.iterator]();
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = it.next().value % (i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j]!, shuffled[i]!];
        }
        expect(strip(aggregate(shuffled, T0, DEFAULT_RULES))).toEqual(strip(aggregate(regs, T0, DEFAULT_RULES)));
      }),
      { numRuns: 500 },
    );
  });

  it('judge() decides what aggregate() decides, field for field and in the same order, without the explanation', () => {
    const at = fc.integer({ min: -3_600_000, max: 3_600_000 }).map((d) => T0 + d);
    fc.assert(
      fc.property(registersArb, at, (regs, now) => {
        const { explanation, ...decided } = aggregate(regs, now, DEFAULT_RULES);
        expect(explanation.registers).toHaveLength(regs.length);
        const j = judge(regs, now, DEFAULT_RULES);
        expect(j).toStrictEqual(decided);
        expect(Object.keys(j)).toEqual(Object.keys(decided));
      }),
      { numRuns: 2000 },
    );
  });

  it('always answers a class matching its number, and a boundary in the future', () => {
    fc.assert(
      fc.property(registersArb, (regs) => {
        const j = aggregate(regs, T0, DEFAULT_RULES);
        expect(j.availability).toBeGreaterThanOrEqual(3000);
        if (j.nextBoundary !== undefined) expect(j.nextBoundary).toBeGreaterThan(T0);
        expect(j.explanation.registers).toHaveLength(regs.length);
        expect(j.activity.text.length).toBeGreaterThan(0);
      }),
      { numRuns: 500 },
    );
  });
});
