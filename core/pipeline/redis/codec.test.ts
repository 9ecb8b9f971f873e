import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Signal } from '../../model/signal.ts';
import { canonicalSignal, signalOfTuple, signalTuple } from './codec.ts';

/** The canonical text by its definition: an object with the fields in this order given to JSON.stringify. */
function byDefinition(s: Signal): string {
  const o: Record<string, unknown> = { person: s.person, source: s.source, endpoint: s.endpoint, category: s.category };
  if (s.availability !== undefined) o.availability = s.availability;
  if (s.activity !== undefined && (s.activity.token !== undefined || s.activity.text !== undefined)) {
    const a: Record<string, string> = {};
    if (s.activity.token !== undefined) a.token = s.activity.token;
    if (s.activity.text !== undefined) a.text = s.activity.text;
    o.activity = a;
  }
  if (s.machineState !== undefined) o.machineState = s.machineState;
  if (s.from !== undefined) o.from = s.from;
  if (s.until !== undefined) o.until = s.until;
  o.expireType = s.expireType;
  if (s.sourceTime !== undefined) o.sourceTime = s.sourceTime;
  if (s.sourceVersion !== undefined) o.sourceVersion = s.sourceVersion;
  if (s.id !== undefined) o.id = s.id;
  return JSON.stringify(o);
}

// Any code points, lone surrogates included: what fc.string({ unit: 'binary' }) draws, without the
// second of CPU fast-check spends once per process on its reverse table of all 1 114 112 code points.
const anyCodePoints = fc.array(fc.integer({ min: 0, max: 0x10ffff })).map((cps) => String.fromCodePoint(...cps));
const text = fc.oneof(fc.string(), fc.string({ unit: 'grapheme' }), anyCodePoints, fc.constantFrom('"', '\\', '\u0000', '|', '\u2028', '\ud800'));
const number = fc.oneof(fc.integer(), fc.double(), fc.constantFrom(-0, 1e21, 1.5e-7, Number.MAX_SAFE_INTEGER));

const signal: fc.Arbitrary<Signal> = fc.record(
  {
    person: text,
    source: text,
    endpoint: text,
    category: fc.constantFrom('user', 'machine', 'phone', 'calendar', 'device'),
    expireType: fc.constantFrom('user', 'device', 'time', 'endpoint'),
    availability: number,
    activity: fc.record({ token: text, text }, { requiredKeys: [] }),
    machineState: fc.constantFrom('active', 'inactive', 'away', 'off', 'unknown'),
    from: number,
    until: number,
    sourceTime: number,
    sourceVersion: number,
    id: text,
    receivedAt: number,
  },
  { requiredKeys: ['person', 'source', 'endpoint', 'category', 'expireType'] },
) as unknown as fc.Arbitrary<Signal>;

describe('canonicalSignal (the register text the Redis scripts compare)', () => {
  it('is exactly the JSON of the fields in their fixed order, absent ones and receivedAt left out', () => {
    fc.assert(fc.property(signal, (s) => {
        expect(canonicalSignal(s)).toBe(byDefinition(s));
      }), { numRuns: 1000 });
  });

  it('parses back to the signal without receivedAt', () => {
    const s = { person: 'alice', source: 'teams', endpoint: 'client', category: 'user', expireType: 'user', availability: 6500, activity: { token: 'in-a-call', text: 'In a "call"' }, sourceVersion: 7, receivedAt: 5 } as const;
    const { receivedAt: _r, ...rest } = s;
    expect(JSON.parse(canonicalSignal(s as unknown as Signal))).toEqual(rest);
  });
});

describe('the id tail of the canonical text (how the APPLY script finds a repeated id without decoding JSON)', () => {
  it('holds `,"id":"` once when the signal has an id, then the id\'s JSON to the end; never without an id; never a raw newline', () => {
    const marker = ',"id":"';
    fc.assert(fc.property(signal, (s) => {
        const t = canonicalSignal(s);
        expect(t.includes('\n')).toBe(false);
        const at = t.indexOf(marker);
        if (s.id === undefined) expect(at).toBe(-1);
        else {
          expect(t.indexOf(marker, at + 1)).toBe(-1);
          expect(t.slice(at)).toBe(`,"id":${JSON.stringify(s.id)}}`);
        }
      }), { numRuns: 1000 });
  });
});

describe('signalTuple / signalOfTuple (the signals of a BullMQ job)', () => {
  // Finite numbers only: JSON has no other (the object form turned them into null as well).
  const finite = fc.oneof(fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.constantFrom(1e21, 1.5e-7, Number.MAX_SAFE_INTEGER));
  const jobSignal: fc.Arbitrary<Signal> = fc
    .record(
      {
        person: text,
        source: text,
        endpoint: text,
        category: fc.constantFrom('user', 'machine', 'phone', 'calendar', 'device'),
        expireType: fc.constantFrom('user', 'device', 'time', 'endpoint'),
        availability: finite,
        activity: fc.record({ token: text, text }, { requiredKeys: [] }).filter((a) => a.token !== undefined || a.text !== undefined),
        machineState: fc.constantFrom('active', 'inactive', 'away', 'off', 'unknown'),
        from: finite,
        until: finite,
        sourceTime: finite,
        sourceVersion: finite,
        id: text,
        receivedAt: finite,
      },
      { requiredKeys: ['person', 'source', 'endpoint', 'category', 'expireType'] },
    )
    .map((s) => Object.freeze(s) as unknown as Signal);

  it('travels through JSON to the signal the object form gave, field for field', () => {
    fc.assert(
      fc.property(fc.array(jobSignal, { maxLength: 5 }), (signals) => {
        const back = (JSON.parse(JSON.stringify(signals.map(signalTuple))) as ReturnType<typeof signalTuple>[]).map(signalOfTuple);
        // What a job of the earlier form (the objects themselves) decoded to.
        expect(back).toStrictEqual(JSON.parse(JSON.stringify(signals)));
        for (const b of back) expect(Object.isFrozen(b)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('is shorter than the object form, and leaves out the absent fields at its end', () => {
    const s: Signal = { person: 'u1', source: 'teams', endpoint: 'client', category: 'user', expireType: 'user', availability: 6500, sourceVersion: 3 };
    expect(signalTuple(s)).toEqual(['u1', 'teams', 'client', 'user', 'user', 6500, 3]);
    expect(JSON.stringify(signalTuple(s)).length).toBeLessThan(JSON.stringify(s).length / 2);
    expect(signalTuple({ ...s, availability: undefined, sourceVersion: undefined } as unknown as Signal)).toEqual(['u1', 'teams', 'client', 'user', 'user']);
  });
});
