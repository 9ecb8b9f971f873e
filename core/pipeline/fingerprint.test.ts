import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AVAILABILITY_CLASSES, MACHINE_STATES } from '../model/availability.ts';
import { registerOf } from '../model/register.ts';
import type { Signal } from '../model/signal.ts';
import { fullViewKey, limitedViewKey, nextViewStamps, OFFLINE_FULL_KEY, OFFLINE_LIMITED_KEY, OFFLINE_VIEW_KEYS, packedViewKeys, sameFullView, sameLimitedView, sameState, stateKey } from './fingerprint.ts';
import type { PresenceDraft } from './ports.ts';

/** A draft of generated fields, the optional ones absent when not generated. */
function draftOfFields(r: { availability: number; class: PresenceDraft['class']; token: string; text: string; machineState: PresenceDraft['machineState']; lastActive: number | undefined }): PresenceDraft {
  return {
    person: 'p',
    availability: r.availability,
    class: r.class,
    activity: { token: r.token, text: r.text },
    ...(r.machineState !== undefined ? { machineState: r.machineState } : {}),
    ...(r.lastActive !== undefined ? { lastActive: r.lastActive } : {}),
  };
}

// Few values per field, so that equal and unequal pairs both come up often.
const draftArb: fc.Arbitrary<PresenceDraft> = fc
  .record({
    availability: fc.constantFrom(3500, 6500, 18500),
    class: fc.constantFrom(...AVAILABILITY_CLASSES.slice(0, 3)),
    token: fc.constantFrom('available', 'on-the-phone'),
    text: fc.constantFrom('Available', 'On the phone'),
    machineState: fc.option(fc.constantFrom(...MACHINE_STATES.slice(0, 2)), { nil: undefined }),
    lastActive: fc.option(fc.constantFrom(1_700_000_000_000, 1_700_000_000_000.001), { nil: undefined }),
  })
  .map(draftOfFields);

describe('field-by-field view comparisons', () => {
  it('agree with the key strings the Redis scripts compare', () => {
    fc.assert(
      fc.property(draftArb, draftArb, (a, b) => {
        expect(sameState(a, b)).toBe(stateKey(a) === stateKey(b));
        expect(sameFullView(a, b)).toBe(fullViewKey(a) === fullViewKey(b));
        expect(sameLimitedView(a, b)).toBe(limitedViewKey(a) === limitedViewKey(b));
      }),
      { numRuns: 1000 },
    );
  });

  it('stamp views as the keys say: a view moves by one exactly when its key changed', () => {
    fc.assert(
      fc.property(fc.option(draftArb, { nil: undefined }), draftArb, fc.boolean(), (prevDraft, draft, stamped) => {
        const prev = prevDraft === undefined ? undefined : { ...prevDraft, since: 1, version: 4, ...(stamped ? { views: { full: 3, limited: 2, limitedSince: 1 } } : {}) };
        const v = nextViewStamps(prev, draft, 99);
        const before = prev === undefined ? { full: 0, limited: 0 } : (prev.views ?? { full: 4, limited: 4 });
        const fullChanged = prev === undefined ? fullViewKey(draft) !== OFFLINE_FULL_KEY : !stamped || fullViewKey(prev) !== fullViewKey(draft);
        const limitedChanged = prev === undefined ? limitedViewKey(draft) !== OFFLINE_LIMITED_KEY : !stamped || limitedViewKey(prev) !== limitedViewKey(draft);
        expect(v.full).toBe(before.full + (fullChanged ? 1 : 0));
        expect(v.limited).toBe(before.limited + (limitedChanged ? 1 : 0));
        expect(v.limitedSince).toBe(limitedChanged ? 99 : prev?.views?.limitedSince);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('packedViewKeys', () => {
  /** The three keys back out of the packed string, as the Redis commit script reads them. */
  const unpack = (packed: string): { limited: string; state: string; full: string } => {
    const m = /^(\d+)\|(\d+)\|(.*)$/s.exec(packed)!;
    const body = m[3]!;
    return { limited: `${body.slice(0, Number(m[1]))}]`, state: `${body.slice(0, Number(m[2]))}]`, full: `${body}]` };
  };
  // Any text, separators and quotes included, and numbers JSON writes in other forms.
  const wild: fc.Arbitrary<PresenceDraft> = fc
    .record({
      availability: fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.double(), fc.constantFrom(-0, 1e21, 5e-7)),
      class: fc.constantFrom(...AVAILABILITY_CLASSES),
      token: fc.string(),
      text: fc.oneof(fc.string(), fc.constantFrom('a|b', '"]', '\\', '\n', 'é ✓')),
      machineState: fc.option(fc.constantFrom(...MACHINE_STATES), { nil: undefined }),
      lastActive: fc.option(fc.oneof(fc.double(), fc.integer()), { nil: undefined }),
    })
    .map(draftOfFields);

  it('holds the limited, state and full view keys, character for character', () => {
    fc.assert(
      fc.property(fc.oneof(draftArb, wild), (d) => {
        expect(unpack(packedViewKeys(d))).toEqual({ limited: limitedViewKey(d), state: stateKey(d), full: fullViewKey(d) });
      }),
      { numRuns: 1000 },
    );
    expect(unpack(OFFLINE_VIEW_KEYS)).toMatchObject({ limited: OFFLINE_LIMITED_KEY, full: OFFLINE_FULL_KEY });
  });
});

describe('registerOf', () => {
  it('is the signal without receivedAt, with the stamp, absent fields absent', () => {
    const full: Signal = { person: 'p', source: 's', endpoint: 'e', category: 'calendar', expireType: 'time', receivedAt: 5, availability: 6500, activity: { token: 'in-a-meeting' }, from: 1, until: 2, sourceTime: 3, sourceVersion: 4, id: 'x' };
    const { receivedAt: _r, ...rest } = full;
    expect(registerOf(full, 7)).toStrictEqual({ ...rest, publishedAt: 7 });
    const machine: Signal = { person: 'p', source: 's', endpoint: 'e', category: 'machine', expireType: 'device', machineState: 'active' };
    const r = registerOf(machine, 8);
    expect(r).toStrictEqual({ ...machine, publishedAt: 8 });
    expect(Object.keys(r)).not.toContain('receivedAt');
    expect(Object.isFrozen(r)).toBe(true);
  });
});
