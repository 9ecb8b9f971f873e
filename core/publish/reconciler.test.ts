import { describe, expect, it } from 'vitest';
import { memoryConnectorStore } from '../pipeline/embedded/connector-store.ts';
import { CLASS_MIDPOINT, type AvailabilityClass } from '../model/availability.ts';
import { classActivity, type Presence } from '../model/presence.ts';
import { ManualClock } from '../util/clock.ts';
import { HubError } from '../errors.ts';
import { silentLogger } from '../util/logger.ts';
import { Reconciler } from './reconciler.ts';
import { INIT_KEY, recordKey } from './record.ts';
import type { PublishTarget, WriteOutcome } from './target.ts';

const presence = (person: string, cls: AvailabilityClass, version = 1): Presence => ({ person, availability: CLASS_MIDPOINT[cls], class: cls, activity: classActivity(cls), since: 0, version });

/**
 * A system that remembers what it was told, answering each call with the next scripted outcome
 * (confirmed once the script is empty). Stands for any publisher: the mechanism is under test.
 */
function system(people: string[], opts: { minInterval?: number; refresh?: number } = {}) {
  const shows = new Map<string, string>();
  const calls: { op: 'write' | 'clear'; person: string; d?: string; shown: string | null | undefined }[] = [];
  const script: WriteOutcome['outcome'][] = [];
  const answer = (apply: () => void): WriteOutcome => {
    const o = script.shift() ?? 'confirmed';
    if (o === 'confirmed') return apply(), { outcome: 'confirmed' };
    if (o === 'unknown') return apply(), { outcome: 'unknown', error: new HubError('HUB_ERR_SIP_TIMEOUT', 'timed out after the write', { kind: 'transient' }) };
    return { outcome: 'failed', error: new HubError('HUB_ERR_UNAVAILABLE', 'HTTP 500', { kind: 'transient' }) };
  };
  const target: PublishTarget<string> = {
    plan: (p) => (p.class === 'busy' || p.class === 'dnd' ? p.class : null),
    write: async (person, d, shown) => (calls.push({ op: 'write', person, d, shown }), answer(() => shows.set(person, d))),
    clear: async (person, shown) => (calls.push({ op: 'clear', person, shown }), answer(() => shows.delete(person))),
    people: () => people,
    ...(opts.minInterval !== undefined ? { minInterval: opts.minInterval } : {}),
    ...(opts.refresh !== undefined ? { refreshAfter: () => opts.refresh } : {}),
  };
  return { shows, calls, script, target };
}

function reconciler(sys: ReturnType<typeof system>, stored: Map<string, Presence>, o: { clock?: ManualClock; store?: ReturnType<typeof memoryConnectorStore>; probeEvery?: number } = {}) {
  const clock = o.clock ?? new ManualClock(1_000_000);
  const store = o.store ?? memoryConnectorStore();
  const counts: Record<string, number> = {};
  const errors: unknown[] = [];
  const r = new Reconciler(sys.target, {
    connector: 'sys',
    store,
    clock,
    log: silentLogger(),
    report: { ok: () => undefined, error: (e) => errors.push(e), count: (n, k = 1) => void (counts[n] = (counts[n] ?? 0) + k), retryAt: () => undefined },
    presence: async (ids) => ids.map((id) => stored.get(id) ?? presence(id, 'offline', 0)),
    random: () => 0.5,
    ...(o.probeEvery !== undefined ? { probeEvery: o.probeEvery } : {}),
  });
  return { r, clock, store, errors };
}

describe('Reconciler', () => {
  it('a refusal with Retry-After holds every write of the connector back until then, new states and the probe included', async () => {
    const sys = system(['a', 'b']);
    const stored = new Map<string, Presence>();
    const { r, clock } = reconciler(sys, stored);
    await r.start();
    await r.tick();
    const t = sys.target;
    let throttle = true;
    const write = t.write;
    t.write = async (person, d, shown) => {
      if (!throttle) return write(person, d, shown);
      throttle = false;
      sys.calls.push({ op: 'write', person, d, shown });
      return { outcome: 'failed', error: new HubError('HUB_ERR_WEBHOOK_THROTTLED', '429', { kind: 'throttled' }), retryAfterMs: 30_000 };
    };
    const before = sys.calls.length;
    stored.set('a', presence('a', 'busy'));
    r.offer([stored.get('a')!]);
    await r.tick();
    expect(sys.calls.length - before).toBe(1);
    // A new state for someone else and the outage probe wait for the Retry-After too.
    stored.set('b', presence('b', 'dnd'));
    r.offer([stored.get('b')!]);
    clock.advance(29_000);
    await r.tick();
    expect(sys.calls.length - before).toBe(1);
    clock.advance(1_000);
    await r.tick();
    await r.tick();
    expect([...sys.shows].sort()).toEqual([['a', 'busy'], ['b', 'dnd']]);
  });

  it('replan() plans again from the stored presence when the plan depends on more than presence', async () => {
    const sys = system(['a']);
    let inDirectory = new Set(['a']);
    const plan = sys.target.plan;
    sys.target.plan = (p) => (inDirectory.has(p.person) ? plan(p) : null);
    const stored = new Map([['a', presence('a', 'busy')], ['b', presence('b', 'dnd')]]);
    const { r } = reconciler(sys, stored);
    await r.start();
    await r.tick();
    expect([...sys.shows]).toEqual([['a', 'busy']]);
    // b joins the directory, a leaves it: no presence changed, only what plan() depends on.
    inDirectory = new Set(['b']);
    await r.replan(['a', 'b']);
    await r.tick();
    expect([...sys.shows]).toEqual([['b', 'dnd']]);
    expect(r.stats().pending).toBe(0);
  });

  it('at start with no durable record: writes what should be there and clears everyone else', async () => {
    const sys = system(['a', 'b']);
    const { r, store } = reconciler(sys, new Map([['a', presence('a', 'busy')]]));
    await r.start();
    await r.tick();
    expect(sys.calls.map((c) => `${c.op}:${c.person}`).sort()).toEqual(['clear:b', 'write:a']);
    expect(sys.calls.every((c) => c.shown === undefined)).toBe(true);
    expect((await store.get([INIT_KEY])).has(INIT_KEY)).toBe(true);
    expect(r.stats()).toMatchObject({ writes: 2, confirmed: 2, pending: 0, oldestPendingMs: 0 });
  });

  it('after a restart with the durable record: nothing written for what is settled, a ghost is cleared', async () => {
    const sys = system(['a', 'b']);
    const stored = new Map([['a', presence('a', 'busy')], ['b', presence('b', 'dnd')]]);
    const first = reconciler(sys, stored);
    await first.r.start();
    await first.r.tick();
    await first.r.detach();
    // b's DND ended while no publisher ran: the record says the hub's DND may be there.
    stored.set('b', presence('b', 'available', 2));
    sys.calls.length = 0;
    const second = reconciler(sys, stored, { store: first.store, clock: first.clock });
    await second.r.start();
    await second.r.tick();
    expect(sys.calls).toEqual([{ op: 'clear', person: 'b', shown: 'dnd' }]);
    expect(sys.shows.has('b')).toBe(false);
    expect((await first.store.get([recordKey('b')])).size).toBe(0);
  });

  it('retries a failed write with growing backoff until the system confirms', async () => {
    const sys = system(['a']);
    const stored = new Map<string, Presence>();
    const { r, clock } = reconciler(sys, stored, { probeEvery: 3_600_000 });
    await r.start();
    await r.tick();
    sys.calls.length = 0;
    sys.script.push('failed', 'failed');
    r.offer([presence('a', 'busy', 2)]);
    await r.tick();
    expect(r.stats()).toMatchObject({ failed: 1, pending: 1 });
    clock.advance(500);
    await r.tick();
    expect(sys.calls).toHaveLength(1); // backoff: 1 s with jitter (0.75 s here)
    clock.advance(300);
    await r.tick();
    expect(sys.calls).toHaveLength(2);
    clock.advance(1200);
    await r.tick();
    expect(sys.calls).toHaveLength(2); // second backoff: 2 s with jitter (1.5 s)
    clock.advance(400);
    await r.tick();
    expect(sys.calls).toHaveLength(3);
    expect(sys.shows.get('a')).toBe('busy');
    expect(r.stats()).toMatchObject({ retries: 2, failed: 2, pending: 0 });
  });

  it('a new desired state is not held back by the backoff of the old one', async () => {
    const sys = system(['a']);
    const { r } = reconciler(sys, new Map());
    await r.start();
    await r.tick();
    sys.script.push('failed');
    r.offer([presence('a', 'busy', 2)]);
    await r.tick();
    r.offer([presence('a', 'dnd', 3)]);
    await r.tick();
    expect(sys.shows.get('a')).toBe('dnd');
  });

  it('an unknown outcome counts as possibly applied until a write is confirmed', async () => {
    const sys = system(['a']);
    const { r, clock } = reconciler(sys, new Map());
    await r.start();
    await r.tick();
    sys.script.push('unknown');
    r.offer([presence('a', 'busy', 2)]);
    await r.tick();
    expect(r.mayShow('a')).toEqual(['busy']);
    expect(r.stats()).toMatchObject({ unknownOutcomes: 1, pending: 1 });
    // The call ends before the retry: the clear goes out, and was the write applied? Maybe: still guarded.
    sys.script.push('unknown');
    r.offer([presence('a', 'available', 3)]);
    await r.tick();
    expect(r.mayShow('a')).toEqual(['busy']);
    clock.advance(2000);
    await r.tick();
    expect(sys.calls.at(-1)).toMatchObject({ op: 'clear', shown: undefined });
    expect(r.mayShow('a')).toEqual([]);
    expect(r.stats().pending).toBe(0);
  });

  it('after an unknown outcome the state confirmed before it still counts as possibly shown', async () => {
    const sys = system(['a']);
    const { r, clock } = reconciler(sys, new Map());
    await r.start();
    await r.tick();
    r.offer([presence('a', 'busy', 2)]);
    await r.tick();
    expect(r.mayShow('a')).toEqual(['busy']);
    // The write of dnd times out: the system shows dnd if it applied it, busy if it did not.
    sys.script.push('unknown');
    r.offer([presence('a', 'dnd', 3)]);
    await r.tick();
    expect([...r.mayShow('a')].sort()).toEqual(['busy', 'dnd']);
    // What the system may hold from the hub: either, or nothing (for a target that checks for someone else's value).
    expect(r.mayHold('a')).toEqual(expect.arrayContaining(['busy', 'dnd', null]));
    expect(r.mayHold('a')).toHaveLength(3);
    // The retry is confirmed: only dnd can be there now.
    clock.advance(2000);
    await r.tick();
    expect(r.mayShow('a')).toEqual(['dnd']);
    expect(r.mayHold('a')).toEqual(['dnd']);
    expect(r.mayHold('nobody')).toBeUndefined();
  });

  it('coalesces writes to one per minInterval; a clear goes at once', async () => {
    const sys = system(['a'], { minInterval: 30_000 });
    const { r, clock } = reconciler(sys, new Map());
    await r.start();
    await r.tick();
    sys.calls.length = 0;
    r.offer([presence('a', 'busy', 2)]);
    await r.tick();
    r.offer([presence('a', 'dnd', 3)]);
    await r.tick();
    expect(sys.calls.map((c) => c.d)).toEqual(['busy']);
    r.offer([presence('a', 'available', 4)]);
    await r.tick();
    expect(sys.calls.map((c) => c.op)).toEqual(['write', 'clear']);
    r.offer([presence('a', 'busy', 5)]);
    await r.tick();
    expect(sys.calls).toHaveLength(2);
    clock.advance(30_000);
    await r.tick();
    expect(sys.calls.map((c) => c.op)).toEqual(['write', 'clear', 'write']);
    expect(r.stats().pending).toBe(0);
  });

  it('after an outage, re-writes what it wrote before the outage (the system may have lost it)', async () => {
    const sys = system(['a', 'b']);
    const stored = new Map([['a', presence('a', 'busy')]]);
    const { r, clock } = reconciler(sys, stored);
    await r.start();
    await r.tick();
    sys.calls.length = 0;
    clock.advance(10_000);
    sys.script.push('failed');
    r.offer([presence('b', 'dnd', 2)]);
    await r.tick();
    clock.advance(1000);
    await r.tick();
    // b confirmed after the outage; a (written before it) is written again, nothing else.
    expect(sys.calls.map((c) => `${c.op}:${c.person}`)).toEqual(['write:b', 'write:b', 'write:a']);
    expect(r.stats()).toMatchObject({ pending: 0, reconciles: 2 });
  });

  it('during an outage probes once a second, and when the probe is confirmed every pending write goes at once', async () => {
    const sys = system(['a', 'b', 'c']);
    const { r, clock } = reconciler(sys, new Map());
    await r.start();
    await r.tick();
    sys.calls.length = 0;
    sys.script.push(...Array<'failed'>(500).fill('failed'));
    r.offer([presence('a', 'busy', 2), presence('b', 'dnd', 2), presence('c', 'busy', 2)]);
    await r.tick();
    for (let t = 0; t < 30; t++) {
      clock.advance(1000);
      await r.tick();
    }
    // 3 first attempts, then backoff (growing to 60 s) plus one probe a second: bounded, not a storm.
    const during = sys.calls.length;
    expect(during).toBeLessThanOrEqual(3 + 30 + 3 * 5);
    sys.script.length = 0; // the system is back
    clock.advance(1000);
    await r.tick();
    await r.tick();
    expect([...sys.shows].sort()).toEqual([['a', 'busy'], ['b', 'dnd'], ['c', 'busy']]);
    expect(sys.calls.length - during).toBe(3);
    expect(r.stats()).toMatchObject({ pending: 0 });
  });

  it('refreshes a confirmed write that fades in the system', async () => {
    const sys = system(['a'], { refresh: 60_000 });
    const { r, clock } = reconciler(sys, new Map([['a', presence('a', 'busy')]]));
    await r.start();
    await r.tick();
    clock.advance(59_000);
    await r.tick();
    expect(sys.calls).toHaveLength(1);
    clock.advance(1000);
    await r.tick();
    expect(sys.calls.map((c) => c.op)).toEqual(['write', 'write']);
    r.offer([presence('a', 'available', 2)]);
    await r.tick();
    clock.advance(120_000);
    await r.tick();
    expect(sys.calls.map((c) => c.op)).toEqual(['write', 'write', 'clear']);
  });

  it('changes offered while the start-up reconcile loads are applied after it', async () => {
    const sys = system(['a']);
    const { r } = reconciler(sys, new Map());
    const started = r.start();
    r.offer([presence('a', 'dnd', 5)]);
    await started;
    await r.tick();
    expect(sys.shows.get('a')).toBe('dnd');
  });
});
