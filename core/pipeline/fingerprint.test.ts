import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AVAILABILITY_CLASSES, CLASS_MIDPOINT, MACHINE_STATES } from '../model/availability.ts';
import { classActivity } from '../model/presence.ts';
import { registerOf } from '../model/register.ts';
import { CATEGORIES, type Signal } from '../model/signal.ts';
import {
  draftOfFingerprint,
  fingerprint,
  fullViewKey,
  limitedViewKey,
  nextViewStamps,
  OFFLINE_DRAFT,
  OFFLINE_FINGERPRINT,
  OFFLINE_FULL_KEY,
  OFFLINE_LIMITED_KEY,
  OFFLINE_PACKED_FINGERPRINT,
  packFingerprint,
  sameFingerprint,
  sameFullView,
  sameLimitedView,
  sameState,
  stateKey,
} from './fingerprint.ts';
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

describe('packFingerprint', () => {
  /** The three keys back out of the packed fingerprint, as the Redis commit script reads them. */
  const unpack = (packed: string): { limited: string; state: string; full: string; fingerprint: string } => {
    const m = /^(\d+)\|(\d+)\|(\d+)\|(.*)$/s.exec(packed)!;
    const fp = m[4]!;
    return { limited: `${fp.slice(0, Number(m[1]))}]`, state: `${fp.slice(0, Number(m[2]))}]`, full: `${fp.slice(0, Number(m[3]))}]`, fingerprint: fp };
  };
  const deciding = fc.record({
    decidedBy: fc.option(fc.oneof(fc.string(), fc.constantFrom('a,b', '","', '\\",')), { nil: undefined }),
    decidedCategory: fc.option(fc.constantFrom('calendar', 'user', 'phone') as fc.Arbitrary<PresenceDraft['decidedCategory']>, { nil: undefined }),
  });
  const withDeciding = (d: PresenceDraft, x: { decidedBy: string | undefined; decidedCategory: PresenceDraft['decidedCategory'] }): PresenceDraft => ({
    ...d,
    ...(x.decidedBy !== undefined ? { decidedBy: x.decidedBy } : {}),
    ...(x.decidedCategory !== undefined ? { decidedCategory: x.decidedCategory } : {}),
  });
  // Any text, separators, quotes, commas and escapes included, and numbers JSON writes in other forms.
  const wild: fc.Arbitrary<PresenceDraft> = fc
    .record({
      availability: fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.double(), fc.constantFrom(-0, 1e21, 5e-7)),
      class: fc.constantFrom(...AVAILABILITY_CLASSES),
      token: fc.oneof(fc.string(), fc.constantFrom('a,b', '"', ',",')),
      text: fc.oneof(fc.string(), fc.constantFrom('a|b', '"]', '\\', '\n', 'é ✓', 'x,y', '\\",', '\u2028')),
      machineState: fc.option(fc.constantFrom(...MACHINE_STATES), { nil: undefined }),
      lastActive: fc.option(fc.oneof(fc.double(), fc.integer()), { nil: undefined }),
    })
    .map(draftOfFields);

  it('holds the limited, state and full view keys and the fingerprint, character for character', () => {
    fc.assert(
      fc.property(fc.oneof(draftArb, wild), deciding, (plain, x) => {
        const d = withDeciding(plain, x);
        expect(unpack(packFingerprint(fingerprint(d)))).toEqual({ limited: limitedViewKey(d), state: stateKey(d), full: fullViewKey(d), fingerprint: fingerprint(d) });
      }),
      { numRuns: 2000 },
    );
    const offline: PresenceDraft = { person: '', availability: CLASS_MIDPOINT.offline, class: 'offline', activity: classActivity('offline') };
    expect(unpack(OFFLINE_PACKED_FINGERPRINT)).toEqual({ limited: OFFLINE_LIMITED_KEY, state: stateKey(offline), full: OFFLINE_FULL_KEY, fingerprint: OFFLINE_FINGERPRINT });
  });

  it('refuses what is not a fingerprint', () => {
    expect(() => packFingerprint('[1,"busy"]')).toThrow(/not a fingerprint of eight elements/);
  });

  it('draftOfFingerprint gives back the draft the fingerprint was made of', () => {
    const finite = fc
      .record({
        availability: fc.integer({ min: 0, max: 20_000 }),
        class: fc.constantFrom(...AVAILABILITY_CLASSES),
        token: fc.string(),
        text: fc.oneof(fc.string(), fc.constantFrom('a|b', '"]', ',', '\\')),
        machineState: fc.option(fc.constantFrom(...MACHINE_STATES), { nil: undefined }),
        lastActive: fc.option(fc.double({ min: 1, max: 4e12, noNaN: true }), { nil: undefined }),
      })
      .map(draftOfFields);
    fc.assert(
      fc.property(fc.oneof(draftArb, finite), deciding, fc.string(), (plain, x, person) => {
        const d = { ...withDeciding(plain, x), person };
        const back = draftOfFingerprint(person, fingerprint(d));
        expect(back).toStrictEqual(d);
        expect(Object.keys(back)).toEqual(Object.keys(d));
        expect(Object.isFrozen(back.activity)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});

describe('fingerprint', () => {
  // Built as text: it must stay the string JSON.stringify writes, which stored fingerprints (Redis)
  // hold and draftOfFingerprint reads; any text, escapes and lone surrogates included, and drafts
  // of tests whose activity has a token or a text only.
  const text = fc.oneof(fc.string(), fc.constantFrom('a"b', '\\', '\ud800', 'é ✓', '\n', '\u2028'));
  const anyDraft = fc
    .record({
      availability: fc.oneof(fc.integer({ min: 0, max: 20_000 }), fc.double(), fc.constantFrom(-0, 1e21, 5e-7)),
      class: fc.constantFrom(...AVAILABILITY_CLASSES),
      token: fc.option(text, { nil: undefined }),
      text: fc.option(text, { nil: undefined }),
      machineState: fc.option(fc.constantFrom(...MACHINE_STATES), { nil: undefined }),
      lastActive: fc.option(fc.oneof(fc.double(), fc.integer()), { nil: undefined }),
      decidedBy: fc.option(text, { nil: undefined }),
      decidedCategory: fc.option(fc.constantFrom(...CATEGORIES), { nil: undefined }),
    })
    .map((r) => {
      const d: Record<string, unknown> = { person: 'p', availability: r.availability, class: r.class, activity: { ...(r.token !== undefined ? { token: r.token } : {}), ...(r.text !== undefined ? { text: r.text } : {}) } };
      for (const k of ['machineState', 'lastActive', 'decidedBy', 'decidedCategory'] as const) if (r[k] !== undefined) d[k] = r[k];
      return d as unknown as PresenceDraft;
    });

  it('is equal for two drafts exactly when sameFingerprint says so (the in-process store compares fields)', () => {
    // Few values per field, so that equal and unequal pairs both come up often.
    const few = fc
      .record({
        availability: fc.constantFrom(3500, 6500),
        class: fc.constantFrom('available', 'busy'),
        token: fc.option(fc.constantFrom('available', 'on-the-phone'), { nil: undefined }),
        text: fc.option(fc.constantFrom('Available', 'On the phone'), { nil: undefined }),
        machineState: fc.option(fc.constantFrom('active', 'away'), { nil: undefined }),
        lastActive: fc.option(fc.constantFrom(1_700_000_000_000, 1_700_000_000_000.001), { nil: undefined }),
        decidedBy: fc.option(fc.constantFrom('teams', 'pbx'), { nil: undefined }),
        decidedCategory: fc.option(fc.constantFrom('user', 'phone'), { nil: undefined }),
      })
      .map((r) => {
        const d: Record<string, unknown> = { person: 'p', availability: r.availability, class: r.class, activity: { ...(r.token !== undefined ? { token: r.token } : {}), ...(r.text !== undefined ? { text: r.text } : {}) } };
        for (const k of ['machineState', 'lastActive', 'decidedBy', 'decidedCategory'] as const) if (r[k] !== undefined) d[k] = r[k];
        return d as unknown as PresenceDraft;
      });
    fc.assert(
      fc.property(few, few, (a, b) => {
        expect(sameFingerprint(a, b)).toBe(fingerprint(a) === fingerprint(b));
        expect(sameFingerprint(OFFLINE_DRAFT, b)).toBe(OFFLINE_FINGERPRINT === fingerprint(b));
      }),
      { numRuns: 3000 },
    );
    expect(sameFingerprint(OFFLINE_DRAFT, { ...OFFLINE_DRAFT, person: 'x' })).toBe(true);
  });

  it('is the JSON of its fields, character for character, absent ones as null', () => {
    fc.assert(
      fc.property(anyDraft, (d) => {
        const json = JSON.stringify([d.availability, d.class, d.activity.token, d.activity.text, d.machineState ?? null, d.lastActive ?? null, d.decidedBy ?? null, d.decidedCategory ?? null]);
        expect(fingerprint(d)).toBe(json);
      }),
      { numRuns: 3000 },
    );
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
