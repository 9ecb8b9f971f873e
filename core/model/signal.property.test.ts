import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { certainSignalInput, signalInputSchema } from './signal.ts';

/**
 * certainSignalInput (the ingest's fast path) never accepts what signalInputSchema refuses, and
 * what it accepts is what the schema returns; refusals and their messages stay the schema's.
 * Each field is drawn from values around every bound and rule of the schema, absent often.
 */
const texts = ['', 'a', 'alice', 'x'.repeat(128), 'x'.repeat(129), 'x'.repeat(256), 'x'.repeat(257), 'tab\there', 'bell\u0007', 'del\u007f', 'bidi\u202e', 'lone\ud800', 'pair\ud83d\ude42', 'ok ✓ "q" \\', 'on-the-phone', '9a.b_c-d', '-bad', 'sip:alice@corp.example', 'SIP:bob@x', 'tel:+1', 'nocolon', '1sip:x', 'sip:', 'a:\n'];
const text = fc.constantFrom(...texts);
const any = fc.oneof(text, fc.constantFrom(undefined, null, 0, 1, -1, 1.5, 3500, 99999, 100000, 999, 1000, Number.NaN, Infinity, 2 ** 53, true, [], {}));
const activity = fc.oneof(
  any,
  fc.record({ token: fc.oneof(text, any), text: fc.oneof(text, any) }, { requiredKeys: [] }),
  fc.record({ token: text, text: text, extra: any }, { requiredKeys: ['extra'] }),
);
const instant = fc.constantFrom('2026-12-01T10:00:00Z', '2026-12-01T11:00:00+01:00', '2026-12-01T10:00:00.123Z', '2026-12-01', '2026-12-01T10:00:00', 'soon', '2026-13-01T10:00:00Z', 5);
const input = fc.record(
  {
    person: fc.oneof(text, any),
    identity: fc.oneof(text, any),
    source: fc.oneof(text, any),
    endpoint: fc.oneof(text, any),
    category: fc.oneof(fc.constantFrom('user', 'machine', 'calendar', 'phone', 'device', 'custom', 'Machine', ''), any),
    availability: fc.oneof(fc.constantFrom('available', 'busy', 'dnd', 'away', 'offline', 'free', 0, 999, 1000, 3500, 99999, 100000, 3500.5, -1), any),
    activity,
    machineState: fc.oneof(fc.constantFrom('active', 'inactive', 'unknown', 'away', 'off', 'idle'), any),
    from: instant,
    until: instant,
    expireType: fc.oneof(fc.constantFrom('device', 'user', 'time', 'endpoint', 'never'), any),
    sourceTime: instant,
    sourceVersion: fc.oneof(fc.constantFrom(0, 1, 7, -1, 1.5, 2 ** 53, 2 ** 53 - 1, '1'), any),
    id: fc.oneof(text, any),
    unknown: any,
  },
  { requiredKeys: [] },
);
// Mostly plausible signals: the common fields right, some of the others drawn as above.
const plausible = fc
  .tuple(fc.constantFrom('alice', 'p1'), fc.constantFrom('api', 'bench'), fc.constantFrom('user', 'phone', 'machine', 'calendar'), input, fc.subarray(['availability', 'activity', 'machineState', 'from', 'until', 'sourceVersion', 'id', 'endpoint', 'expireType', 'identity']))
  .map(([person, source, category, rest, keys]) => {
    const o: Record<string, unknown> = { person, source, category };
    for (const k of keys) if (k in rest) o[k] = rest[k as keyof typeof rest];
    return o;
  });

describe('certainSignalInput', () => {
  it('accepts only what the schema accepts, as the schema returns it', () => {
    let accepted = 0;
    fc.assert(
      fc.property(fc.oneof(input, plausible, plausible), (o) => {
        const fast = certainSignalInput(o);
        const parsed = signalInputSchema.safeParse(o);
        if (fast === undefined) return;
        accepted++;
        expect(parsed.success).toBe(true);
        expect(fast).toBe(o);
        expect(parsed.data).toEqual(o);
      }),
      { numRuns: 10_000, seed: 19 },
    );
    // The fast path does take the plain signals (the bench's, a calendar's, a machine's).
    expect(accepted).toBeGreaterThan(100);
    for (const s of [
      { person: 'p1', source: 'bench', category: 'phone', availability: 'busy', activity: { token: 'on-the-phone', text: 's1' }, sourceVersion: 1 },
      { person: 'alice', source: 'cal', endpoint: 'm1', category: 'calendar', availability: 'busy', activity: 'in-a-meeting', from: '2026-12-01T10:00:00Z', until: '2026-12-01T11:00:00Z' },
      { identity: 'sip:alice@corp.example', source: 'teams', endpoint: 'laptop', category: 'machine', machineState: 'active' },
    ]) {
      expect(certainSignalInput(s)).toBe(s);
    }
    // Not an object of Object's prototype, or a key the schema does not know: the schema decides.
    expect(certainSignalInput(Object.assign(Object.create(null), { person: 'p1', source: 'a', category: 'user', availability: 3500 }))).toBeUndefined();
    expect(certainSignalInput(JSON.parse('{"person":"p1","source":"a","category":"user","availability":3500,"__proto__":{"x":1}}'))).toBeUndefined();
  });
});
