/**
 * One contract for every implementation of the pipeline ports (core/pipeline/ports.ts): embedded and
 * Redis must behave identically (docs/architecture.md "Two modes, one code path"). Each test gets a fresh
 * pipeline from the factory and closes it afterwards.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { PresenceManager } from '../../core/manager/presence-manager.ts';
import { CLASS_MIDPOINT } from '../../core/model/availability.ts';
import { classActivity, type Presence } from '../../core/model/presence.ts';
import { fingerprint } from '../../core/pipeline/fingerprint.ts';
import { registerKey, type Signal } from '../../core/model/signal.ts';
import type { BatchInfo, Pipeline, PresenceDraft } from '../../core/pipeline/ports.ts';
import { DEFAULT_RULES } from '../../core/rules/rules-config.ts';
import { HubError } from '../../core/errors.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { until } from '../support/wait.ts';

export function sig(over: Partial<Signal> & { person: string }): Signal {
  return Object.freeze({ source: 'src', endpoint: 'ep', category: 'user', expireType: 'user', availability: 3500, ...over }) as Signal;
}

const draft = (person: string, availability: number): PresenceDraft => ({
  person,
  availability,
  class: availability >= 6000 ? 'busy' : 'available',
  activity: { token: availability >= 6000 ? 'busy' : 'available', text: availability >= 6000 ? 'Busy' : 'Available' },
});

/**
 * `sibling` opens another node of the same pipeline (Redis: the same server and prefix); without
 * it the pipeline is one node (embedded) and the tests that need two use the same one.
 */
export function pipelineContract(name: string, make: () => Promise<Pipeline>, opts: { sibling?: () => Promise<Pipeline> } = {}): void {
  describe(`pipeline contract: ${name}`, () => {
    let p: Pipeline;
    beforeEach(async () => {
      p = await make();
    });
    afterEach(async () => {
      await p.close();
    });

    it('applies a new register and drops an older sourceVersion', async () => {
      const [a] = await p.store.applySignals([sig({ person: 'alice', sourceVersion: 5, availability: 6500 })]);
      expect(a?.outcome).toBe('applied');
      expect(a?.register?.availability).toBe(6500);
      const [b] = await p.store.applySignals([sig({ person: 'alice', sourceVersion: 4, availability: 3500 })]);
      expect(b?.outcome).toBe('stale');
      const regs = (await p.store.getRegisters(['alice'])).get('alice');
      expect(regs?.rev).toBe(1);
      expect(regs?.registers.map((r) => [r.sourceVersion, r.availability])).toEqual([[5, 6500]]);
    });

    it('drops an older sourceTime from the same register when there is no version, and lets versions decide first', async () => {
      const res = await p.store.applySignals([
        sig({ person: 'bob', sourceTime: 2000, availability: 6500 }),
        sig({ person: 'bob', sourceTime: 1000, availability: 9500 }),
        sig({ person: 'carol', sourceTime: 2000, sourceVersion: 1 }),
        sig({ person: 'carol', sourceTime: 1000, sourceVersion: 2, availability: 9500 }),
        sig({ person: 'bob', endpoint: 'other', sourceTime: 1000, availability: 9500 }),
      ]);
      expect(res.map((r) => r.outcome)).toEqual(['applied', 'stale', 'applied', 'applied', 'applied']);
      const regs = await p.store.getRegisters(['bob', 'carol']);
      expect(regs.get('bob')?.rev).toBe(2);
      expect(regs.get('carol')?.registers[0]?.availability).toBe(9500);
    });

    it('a duplicate changes nothing, not even the stamp or the revision', async () => {
      const s = sig({ person: 'dave', sourceVersion: 3, activity: { token: 'on-the-phone', text: 'Calling' }, from: 1000, until: 5000 });
      const [a] = await p.store.applySignals([s]);
      const again = await p.store.applySignals([{ ...s, receivedAt: 42 }, s]);
      expect(again.map((r) => r.outcome)).toEqual(['duplicate', 'duplicate']);
      const regs = (await p.store.getRegisters(['dave'])).get('dave');
      expect(regs?.rev).toBe(1);
      expect(regs?.registers[0]?.publishedAt).toBe(a?.register?.publishedAt);
      expect(regs?.registers[0]).toEqual(a?.register);
      // Same version but another observation is a change, not a duplicate (judgeIncoming).
      const [c] = await p.store.applySignals([{ ...s, availability: 6500 }]);
      expect(c?.outcome).toBe('applied');
    });

    it('a re-sent observation without sourceTime, sourceVersion or id is new: stamped again', async () => {
      const s = sig({ person: 'erin', availability: 3500 });
      const [a] = await p.store.applySignals([s]);
      const [b] = await p.store.applySignals([s]);
      expect(b?.outcome).toBe('applied');
      expect(b!.register!.publishedAt).toBeGreaterThan(a!.register!.publishedAt);
      // The same time, or the same idempotency key, is a duplicate: a retry changes nothing.
      const timed = sig({ person: 'erin', endpoint: 't', availability: 3500, sourceTime: 1000 });
      await p.store.applySignals([timed]);
      expect((await p.store.applySignals([timed]))[0]?.outcome).toBe('duplicate');
      const keyed = sig({ person: 'erin', endpoint: 'k', availability: 6500, id: 'req-1' });
      const [k] = await p.store.applySignals([keyed]);
      expect((await p.store.applySignals([{ ...keyed, availability: 9500 }]))[0]?.outcome).toBe('duplicate');
      expect((await p.store.getRegisters(['erin'])).get('erin')!.registers.find((r) => r.endpoint === 'k')).toEqual(k?.register);
      expect((await p.store.applySignals([{ ...keyed, id: 'req-2' }]))[0]?.outcome).toBe('applied');
    });

    it('signals for one register in one batch are judged one after the other, each against what the ones before it left', async () => {
      const base = { person: 'fay', source: 'pbx', endpoint: 'line', category: 'phone' as const, expireType: 'device' as const };
      const batch = [
        sig({ ...base, sourceVersion: 1, availability: 3500 }),
        sig({ ...base, sourceVersion: 3, availability: 6500 }),
        sig({ ...base, sourceVersion: 2, availability: 9500 }), // older than 3, applied just before it: stale
        sig({ ...base, sourceVersion: 3, availability: 6500 }), // the same observation again: duplicate
        sig({ ...base, sourceVersion: 3, availability: 9500 }), // same version, another observation: applied
        sig({ ...base, endpoint: 'line2', id: 'k1', availability: 6500 }),
        sig({ ...base, endpoint: 'line2', id: 'k1', availability: 3500 }), // its id again: duplicate
        sig({ ...base, person: 'gus', sourceVersion: 1 }),
        sig({ ...base, sourceVersion: 4, availability: 3500 }),
      ];
      const res = await p.store.applySignals(batch);
      expect(res.map((r) => r.outcome)).toEqual(['applied', 'applied', 'stale', 'duplicate', 'applied', 'applied', 'duplicate', 'applied', 'applied']);
      const stamps = res.filter((r) => r.outcome === 'applied').map((r) => r.register!.publishedAt);
      for (let i = 1; i < stamps.length; i++) expect(stamps[i]!).toBeGreaterThan(stamps[i - 1]!);
      const regs = await p.store.getRegisters(['fay', 'gus']);
      // The revision counts every applied signal; the registers hold the last applied of each.
      expect(regs.get('fay')?.rev).toBe(5);
      expect(regs.get('gus')?.rev).toBe(1);
      const fay = [...(regs.get('fay')?.registers ?? [])].sort((a, b) => a.endpoint.localeCompare(b.endpoint));
      expect(fay.map((r) => [r.endpoint, r.sourceVersion, r.availability, r.publishedAt])).toEqual([
        ['line', 4, 3500, res[8]!.register!.publishedAt],
        ['line2', undefined, 6500, res[5]!.register!.publishedAt],
      ]);
      // The next batch is judged against what this one stored.
      const next = await p.store.applySignals([sig({ ...base, sourceVersion: 3 }), sig({ ...base, endpoint: 'line2', id: 'k1' }), sig({ ...base, sourceVersion: 4, availability: 3500 })]);
      expect(next.map((r) => r.outcome)).toEqual(['stale', 'duplicate', 'duplicate']);
      expect((await p.store.getRegisters(['fay'])).get('fay')?.rev).toBe(5);
    });

    it('texts holding separators, newlines, quotes and non-ASCII are judged and stored like any other', async () => {
      // The Redis store sends a batch as one string of newline-ended records (codec.ts applyArgs).
      const odd = { person: 'ünï|co\nde', source: 's|1\n2', endpoint: 'e"|\n', category: 'user' as const };
      const a = sig({ ...odd, sourceVersion: 2, id: 'k|"\n,"id":"x"}', activity: { token: 'busy', text: 'line 1\nline|2 "q" ✓' } });
      const b = sig({ ...odd, endpoint: 'e2', sourceTime: 5, activity: { token: 'away', text: ',"id":"k"}' } });
      const res = await p.store.applySignals([a, b, { ...a, availability: 9500 }, { ...b, sourceTime: 4 }, { ...a, id: 'other', sourceVersion: 1 }]);
      expect(res.map((r) => r.outcome)).toEqual(['applied', 'applied', 'duplicate', 'stale', 'stale']);
      const regs = (await p.store.getRegisters([odd.person])).get(odd.person);
      expect(regs?.rev).toBe(2);
      expect([...(regs?.registers ?? [])].sort((x, y) => x.endpoint.localeCompare(y.endpoint))).toEqual([res[0]!.register, res[1]!.register]);
      // An id only in the activity text is no id: the same observation at a newer time is applied.
      expect((await p.store.applySignals([{ ...b, sourceTime: 6, id: 'k' }]))[0]?.outcome).toBe('applied');
      expect((await p.store.applySignals([{ ...a, sourceVersion: 3 }]))[0]?.outcome).toBe('duplicate');
    });

    it('registers read stay as they were read; each of many registers of one person is found again', async () => {
      const first = sig({ person: 'hal', endpoint: 'e0', sourceVersion: 1 });
      await p.store.applySignals([first]);
      const read = (await p.store.getRegisters(['hal'])).get('hal')!;
      const kept = read.registers.map((r) => ({ ...r }));
      // Later signals (a change of the register read, and a new one) leave what was read alone.
      await p.store.applySignals([sig({ person: 'hal', endpoint: 'e0', sourceVersion: 2, availability: 9500 }), sig({ person: 'hal', endpoint: 'e1', sourceVersion: 1 })]);
      expect(read.registers.map((r) => ({ ...r }))).toEqual(kept);
      expect(read.rev).toBe(1);
      // 40 registers (more than the in-process store scans before it indexes them), two categories
      // sharing each source and endpoint: every one is judged against its own stored version.
      const many = Array.from({ length: 40 }, (_, i) => sig({ person: 'hal', source: `s${i % 4}`, endpoint: `e${i % 20}`, category: i < 20 ? 'user' : 'phone', expireType: i < 20 ? 'user' : 'device', sourceVersion: 5 }));
      expect((await p.store.applySignals(many)).every((r) => r.outcome === 'applied')).toBe(true);
      const again = await p.store.applySignals(many.map((m, i) => ({ ...m, sourceVersion: i % 2 === 0 ? 4 : 6, availability: 6500 })));
      expect(again.map((r) => r.outcome)).toEqual(many.map((_, i) => (i % 2 === 0 ? 'stale' : 'applied')));
      const now = (await p.store.getRegisters(['hal'])).get('hal')!;
      expect(now.rev).toBe(3 + 40 + 20);
      const byKey = new Map(now.registers.map((r) => [registerKey(r), r]));
      expect(byKey.size).toBe(now.registers.length);
      many.forEach((m, i) => expect([byKey.get(registerKey(m))?.sourceVersion, byKey.get(registerKey(m))?.availability]).toEqual(i % 2 === 0 ? [5, 3500] : [6, 6500]));
      expect((await p.store.registerCensus([{ person: 'hal', keysAbove: 10 }])).get('hal')).toEqual({ count: now.registers.length, keys: new Set(byKey.keys()) });
    });

    it('stamps strictly increase with the store clock', async () => {
      const before = await p.store.now();
      const batch = Array.from({ length: 300 }, (_, i) => sig({ person: `p${i % 7}`, endpoint: `e${i}` }));
      const r1 = await p.store.applySignals(batch);
      const r2 = await p.store.applySignals(batch.map((s) => ({ ...s, availability: 6500 })));
      const stamps = [...r1, ...r2].map((r) => r.register!.publishedAt);
      for (let i = 1; i < stamps.length; i++) expect(stamps[i]!).toBeGreaterThan(stamps[i - 1]!);
      expect(stamps[0]!).toBeGreaterThanOrEqual(before - 1);
      expect(stamps.at(-1)!).toBeLessThan((await p.store.now()) + 1000);
    });

    it('since is when the state a watcher sees changed, not when any field changed', async () => {
      const t = await p.store.now();
      const busy = draft('sina', 6500);
      const [a] = await p.store.commitPresence([{ draft: { ...busy, lastActive: t }, basis: { rev: 1, at: t }, fingerprint: fingerprint({ ...busy, lastActive: t }) }]);
      expect(a!.presence).toMatchObject({ version: 1, since: t });
      // Only the last input moved: a new version for publishers, the same state since t.
      const [b] = await p.store.commitPresence([{ draft: { ...busy, lastActive: t + 5 }, basis: { rev: 2, at: t + 5 }, fingerprint: fingerprint({ ...busy, lastActive: t + 5 }) }]);
      expect(b).toMatchObject({ changed: true, presence: { version: 2, since: t, lastActive: t + 5 } });
      const avail = draft('sina', 3500);
      const [c] = await p.store.commitPresence([{ draft: avail, basis: { rev: 3, at: t + 9 }, fingerprint: fingerprint(avail) }]);
      expect(c).toMatchObject({ changed: true, presence: { version: 3, since: t + 9 } });
      expect((await p.store.getPresence(['sina'])).get('sina')).toMatchObject({ version: 3, since: t + 9 });
    });

    it('commit is a compare-and-set on the basis; the version moves only when the fingerprint changes', async () => {
      const t = await p.store.now();
      const [c1] = await p.store.commitPresence([{ draft: draft('erin', 6500), basis: { rev: 2, at: t }, fingerprint: fingerprint(draft('erin', 6500)) }]);
      expect(c1).toMatchObject({ accepted: true, changed: true, presence: { person: 'erin', availability: 6500, version: 1, since: t } });
      const older = await p.store.commitPresence([
        { draft: draft('erin', 3500), basis: { rev: 1, at: t + 10 }, fingerprint: fingerprint(draft('erin', 3500)) },
        { draft: draft('erin', 3500), basis: { rev: 2, at: t - 1 }, fingerprint: fingerprint(draft('erin', 3500)) },
      ]);
      expect(older.map((c) => c.accepted)).toEqual([false, false]);
      const [same] = await p.store.commitPresence([{ draft: draft('erin', 6500), basis: { rev: 2, at: t + 5 }, fingerprint: fingerprint(draft('erin', 6500)) }]);
      expect(same).toMatchObject({ accepted: true, changed: false, presence: { version: 1, since: t } });
      const [next] = await p.store.commitPresence([{ draft: draft('erin', 3500), basis: { rev: 3, at: t + 6 }, fingerprint: fingerprint(draft('erin', 3500)) }]);
      expect(next).toMatchObject({ accepted: true, changed: true, presence: { availability: 3500, version: 2, since: t + 6 } });
      const stored = (await p.store.getPresence(['erin', 'nobody'])).get('erin');
      expect(stored).toEqual(next?.presence);
      expect((await p.store.getPresence(['nobody'])).size).toBe(0);
    });

    it('view versions: each view shape counts its own changes, the limited since moves only with it', async () => {
      const t = await p.store.now();
      const meeting = (text: string, lastActive: number): PresenceDraft => ({ ...draft('vera', 6500), activity: { token: 'in-a-meeting', text }, lastActive, decidedBy: 'cal' });
      const commit = async (d: PresenceDraft, rev: number, at: number) => (await p.store.commitPresence([{ draft: d, basis: { rev, at }, fingerprint: fingerprint(d) }]))[0]!;
      expect((await commit(meeting('Board', t), 1, t)).presence?.views).toEqual({ full: 1, limited: 1, limitedSince: t });
      // Only the subject: the full view moves, the limited one (availability and class) does not.
      expect((await commit(meeting('Board, room 2', t), 2, t + 5)).presence?.views).toEqual({ full: 2, limited: 1, limitedSince: t });
      // Only the deciding source: a new presence version for publishers, no view moves.
      const decided = await commit({ ...meeting('Board, room 2', t), decidedBy: 'teams' }, 3, t + 6);
      expect(decided).toMatchObject({ changed: true, presence: { version: 3, views: { full: 2, limited: 1, limitedSince: t } } });
      const avail = draft('vera', 3500);
      expect((await commit(avail, 4, t + 9)).presence?.views).toEqual({ full: 3, limited: 2, limitedSince: t + 9 });
      expect((await p.store.getPresence(['vera'])).get('vera')?.views).toEqual({ full: 3, limited: 2, limitedSince: t + 9 });
      // Nothing stored, then an offline-class draft that is not the baseline: the limited view stays at 0.
      const offWork: PresenceDraft = { person: 'otto', availability: CLASS_MIDPOINT.offline, class: 'offline', activity: { token: 'off-work', text: 'Off work' } };
      expect((await commit(offWork, 1, t)).presence?.views).toEqual({ full: 1, limited: 0 });
    });

    it('register census: a count per person, the keys only above the threshold', async () => {
      const s = (endpoint: string, person = 'cen'): Signal => ({ person, source: 'api', endpoint, category: 'device', availability: 6500, expireType: 'device' });
      await p.store.applySignals([s('a'), s('b'), s('c')]);
      const c = await p.store.registerCensus([{ person: 'cen', keysAbove: 5 }, { person: 'nobody', keysAbove: 0 }]);
      expect(c.get('cen')).toEqual({ count: 3 });
      expect(c.get('nobody')).toEqual({ count: 0 });
      const near = (await p.store.registerCensus([{ person: 'cen', keysAbove: 2 }])).get('cen');
      expect(near?.count).toBe(3);
      expect([...(near?.keys ?? [])].sort()).toEqual(['a', 'b', 'c'].map((e) => registerKey(s(e))));
    });

    it('a person with nothing stored counts as offline: an offline draft is no change', async () => {
      const offline: PresenceDraft = { person: 'olga', availability: CLASS_MIDPOINT.offline, class: 'offline', activity: classActivity('offline') };
      const t = await p.store.now();
      const [c] = await p.store.commitPresence([{ draft: offline, basis: { rev: 0, at: t }, fingerprint: fingerprint(offline) }]);
      expect(c).toEqual({ accepted: true, changed: false });
      expect((await p.store.getPresence(['olga'])).size).toBe(0);
      // The basis was stored all the same: an older one is refused.
      const [old] = await p.store.commitPresence([{ draft: draft('olga', 6500), basis: { rev: 0, at: t - 1 }, fingerprint: fingerprint(draft('olga', 6500)) }]);
      expect(old?.accepted).toBe(false);
    });

    it('forget removes registers and presence', async () => {
      await p.store.applySignals([sig({ person: 'gone' })]);
      await p.store.commitPresence([{ draft: draft('gone', 3500), basis: { rev: 1, at: await p.store.now() }, fingerprint: fingerprint(draft('gone', 3500)) }]);
      await p.store.forget(['gone']);
      expect((await p.store.getRegisters(['gone'])).get('gone')).toEqual({ rev: 0, registers: [] });
      expect((await p.store.getPresence(['gone'])).size).toBe(0);
    });

    it('boundaries fire when due, a reschedule supersedes, undefined cancels', async () => {
      const fired: { person: string; wall: number }[] = [];
      p.boundaries.start(async (people) => {
        for (const person of people) fired.push({ person, wall: Date.now() });
      });
      const now = await p.store.now();
      const t0 = Date.now();
      await p.boundaries.schedule([
        { person: 'b1', at: now + 150 },
        { person: 'b2', at: now + 200 },
        { person: 'b3', at: now + 200 },
      ]);
      await p.boundaries.schedule([
        { person: 'b2', at: now + 600 },
        { person: 'b3', at: undefined },
      ]);
      await until(() => fired.some((f) => f.person === 'b1'), 'b1 fired', 5000);
      expect(fired.some((f) => f.person === 'b2')).toBe(false);
      await until(() => fired.some((f) => f.person === 'b2'), 'b2 fired', 5000);
      const b2 = fired.find((f) => f.person === 'b2')!;
      expect(b2.wall - t0).toBeGreaterThanOrEqual(500); // at its new time, not the superseded 200 ms
      await new Promise((r) => setTimeout(r, 300));
      expect(fired.filter((f) => f.person === 'b2')).toHaveLength(1);
      expect(fired.some((f) => f.person === 'b3')).toBe(false);
    });

    it('the bus delivers published changes to subscribers', async () => {
      const got: Presence[] = [];
      const off = p.bus.subscribe((x) => got.push(x));
      const pr: Presence = { ...draft('frank', 6500), since: 1, version: 1 };
      await p.bus.publish([pr]);
      await until(() => got.length === 1, 'delivery');
      expect(got[0]).toEqual(pr);
      off();
      await p.bus.publish([{ ...pr, version: 2 }]);
      await new Promise((r) => setTimeout(r, 100));
      expect(got).toHaveLength(1);
    });

    it("a node's own change reaches its listeners at once and once, a peer's once, each person's in version order", async () => {
      const other = opts.sibling !== undefined ? await opts.sibling() : p;
      const two = other !== p;
      try {
        const here: string[] = [];
        const there: string[] = [];
        p.bus.subscribe((x) => here.push(`${x.person}@${x.version}`));
        if (two) other.bus.subscribe((x) => there.push(`${x.person}@${x.version}`));
        const pr = (person: string, version: number): Presence => ({ ...draft(person, 6500), since: 1, version });
        const count = (xs: string[], x: string): number => xs.filter((y) => y === x).length;
        // At once: before publish has sent anything.
        const sent = p.bus.publish([pr('own', 1), pr('own', 2)]);
        expect(here).toEqual(['own@1', 'own@2']);
        await sent;
        // An older version published after a newer one (two workers finishing out of order) is dropped.
        await p.bus.publish([pr('own', 4), pr('own', 3)]);
        if (two) await until(() => there.includes('own@4'), 'own@4 on the peer');
        // A peer's changes, with its older version of a person this node published newer.
        await other.bus.publish([pr('peer', 1), pr('own', 3), pr('peer', 2)]);
        await until(() => here.includes('peer@2'), "the peer's changes on this node");
        // Forgotten, a person starts again at 1, on this node at once. The forget and the change
        // after it come back to this node from Redis: taken for a peer's, they would deliver own@1 twice.
        await p.bus.forget(['own']);
        await p.bus.publish([pr('own', 1)]);
        if (two) await until(() => count(there, 'own@1') === 2, 'own@1 again on the peer');
        // Sent after everything above reached Redis: when it arrives here, all of that has too.
        await other.bus.publish([pr('mark', 1)]);
        await until(() => here.includes('mark@1'), 'the mark on this node');
        expect(here).toEqual(['own@1', 'own@2', 'own@4', 'peer@1', 'peer@2', 'own@1', 'mark@1']);
        if (two) expect(there).toEqual(['own@1', 'own@2', 'own@4', 'peer@1', 'peer@2', 'own@1', 'mark@1']);
      } finally {
        if (two) await other.close();
      }
    });

    it('the bus forgets with the store: a person retired and re-added is seen again from version 1, on every node', async () => {
      const other = opts.sibling !== undefined ? await opts.sibling() : p;
      try {
        const seen: number[] = [];
        other.bus.subscribe((x) => {
          if (x.person === 'ret') seen.push(x.version);
        });
        let rev = 0;
        const change = async (availability: number): Promise<void> => {
          const d = draft('ret', availability);
          const [c] = await p.store.commitPresence([{ draft: d, basis: { rev: ++rev, at: await p.store.now() }, fingerprint: fingerprint(d) }]);
          if (c?.changed === true) await p.bus.publish([c.presence!]);
        };
        await change(6500);
        await change(3500);
        await change(6500);
        await until(() => seen.length === 3, 'three versions on the other node');
        expect(seen).toEqual([1, 2, 3]);
        // Retired: the store and the bus forget; re-added later, the person starts again at 1.
        await p.store.forget(['ret']);
        await p.bus.forget(['ret']);
        rev = 0;
        await change(9500);
        await change(3500);
        await until(() => seen.length === 5, 'every later change on the other node');
        expect(seen).toEqual([1, 2, 3, 1, 2]);
      } finally {
        if (other !== p) await other.close();
      }
    });

    it('the queue delivers every batch', async () => {
      const seen = new Set<string>();
      p.queue.process(async (batch) => {
        for (const s of batch) seen.add(`${s.person}/${s.endpoint}`);
      });
      await Promise.all(Array.from({ length: 30 }, (_, b) => p.queue.enqueue(Array.from({ length: 10 }, (_, i) => sig({ person: `q${b}`, endpoint: `e${i}` })))));
      await until(() => seen.size === 300, 'all 300 signals');
    });

    it('the queue retries a batch whose handler threw, marked redelivered', async () => {
      const calls: BatchInfo[] = [];
      let delivered = 0;
      p.queue.process(async (batch, info) => {
        calls.push(info ?? { redelivered: false });
        if (calls.length === 1) throw new Error('boom');
        delivered += batch.length;
      });
      await p.queue.enqueue([sig({ person: 'r1' }), sig({ person: 'r2' })]);
      await until(() => delivered === 2, 'redelivery');
      expect(calls[0]?.redelivered).toBe(false);
      expect(calls.at(-1)?.redelivered).toBe(true);
    });

    it('a batch failing permanently is dead-lettered with its reason, later batches flow, replay applies it', async () => {
      let poisoned = true;
      const done = new Set<string>();
      const infos: BatchInfo[] = [];
      p.queue.process(async (batch, info) => {
        if (poisoned && batch.some((s) => s.person === 'poison')) throw new HubError('HUB_ERR_SIGNAL_INVALID', 'injected failure for the poison batch', { kind: 'permanent' });
        if (batch.some((s) => s.person === 'poison')) infos.push(info ?? { redelivered: false });
        for (const s of batch) done.add(s.person);
      });
      await p.queue.enqueue([sig({ person: 'poison' })]);
      const [dead] = await until(async () => {
        const d = await p.queue.deadLetters();
        return d.length === 1 ? d : undefined;
      }, 'one dead letter');
      expect(dead).toMatchObject({ code: 'HUB_ERR_SIGNAL_INVALID', signals: 1 });
      expect(dead!.reason).toContain('injected failure for the poison batch');
      expect((await p.queue.stats()).deadLetters).toBe(1);
      // The queue does not wait behind it.
      await p.queue.enqueue([sig({ person: 'after-1' })]);
      await p.queue.enqueue([sig({ person: 'after-2' })]);
      await until(() => done.has('after-1') && done.has('after-2'), 'later batches');
      expect(done.has('poison')).toBe(false);
      expect(await p.queue.replay('no-such-letter')).toBe(false);
      poisoned = false;
      expect(await p.queue.replay(dead!.id)).toBe(true);
      await until(() => done.has('poison'), 'the replayed batch');
      expect(infos[0]?.redelivered).toBe(true);
      await until(async () => (await p.queue.stats()).deadLetters === 0, 'no dead letter left');
      expect(await p.queue.replay(dead!.id)).toBe(false);
    });

    it('a batch failing transiently is retried, not dead-lettered, and does not hold back the next ones', async () => {
      let failures = 0;
      const done: string[] = [];
      p.queue.process(async (batch) => {
        if (batch.some((s) => s.person === 'flaky') && failures < 3) {
          failures++;
          throw new HubError('HUB_ERR_UNAVAILABLE', 'peer briefly away', { kind: 'transient' });
        }
        for (const s of batch) done.push(s.person);
      });
      await p.queue.enqueue([sig({ person: 'flaky' })]);
      await until(() => failures >= 1, 'first failure');
      await p.queue.enqueue([sig({ person: 'next' })]);
      await until(() => done.includes('flaky') && done.includes('next'), 'both batches', 15_000);
      expect(done.indexOf('next')).toBeLessThan(done.indexOf('flaky'));
      expect(failures).toBe(3);
      expect(await p.queue.deadLetters()).toEqual([]);
    }, 20_000);

    it('stats: depth and the age of the oldest waiting batch', async () => {
      const empty = await p.queue.stats();
      expect(empty).toMatchObject({ depth: 0, deadLetters: 0, retrying: 0 });
      expect(empty.oldestWaitingMs).toBeUndefined();
      await p.queue.enqueue([sig({ person: 'w1' }), sig({ person: 'w2' })]);
      await new Promise((r) => setTimeout(r, 60));
      const waiting = await p.queue.stats();
      expect(waiting.depth).toBeGreaterThan(0);
      expect(waiting.oldestWaitingMs).toBeGreaterThanOrEqual(40);
      let n = 0;
      p.queue.process(async (b) => {
        n += b.length;
      });
      await until(() => n === 2, 'processed');
      await until(async () => (await p.queue.stats()).depth === 0, 'depth back to 0');
    });

    it('connector store: batch get/set/delete, namespaced per connector id, seen by another handle', async () => {
      expect(p.connectorStore).toBeDefined();
      const a = p.connectorStore!('teams');
      const other = p.connectorStore!('teams-2');
      expect((await a.get(['k1'])).size).toBe(0);
      await a.set([
        ['k1', 'v1'],
        ['k2', '{"json":true}'],
      ]);
      await other.set([['k1', 'other']]);
      // A second handle for the same id (another node in Redis mode) sees the same state.
      const again = p.connectorStore!('teams');
      expect(await again.get(['k1', 'k2', 'missing'])).toEqual(new Map([['k1', 'v1'], ['k2', '{"json":true}']]));
      expect(await other.get(['k1', 'k2'])).toEqual(new Map([['k1', 'other']]));
      await again.set([['k1', 'v1b']]);
      await a.delete(['k2', 'missing']);
      expect(await a.get(['k1', 'k2'])).toEqual(new Map([['k1', 'v1b']]));
      // Large batches (chunked in Redis) keep keys and values paired.
      const many = Array.from({ length: 1203 }, (_, i): [string, string] => [`u${i}`, `v${i}`]);
      await a.set(many);
      const got = await a.get(many.map(([k]) => k));
      expect(got.size).toBe(1203);
      expect(got.get('u1202')).toBe('v1202');
      await a.delete(many.map(([k]) => k));
      expect((await a.get(['u0', 'u1202', 'k1'])).size).toBe(1);
      expect(await a.get([])).toEqual(new Map());
      await a.set([]);
      await a.delete([]);
    });

    it('timeline store: newest first, capped per person, separate per person', async () => {
      const tl = p.timeline!;
      expect(tl).toBeDefined();
      await tl.append(Array.from({ length: 60 }, (_, i) => ({ person: 'tl-alice', entry: `e${i}` })));
      await tl.append([{ person: 'tl-bob', entry: 'b0' }]);
      const alice = await tl.read('tl-alice');
      expect(alice).toHaveLength(50);
      expect(alice.slice(0, 2)).toEqual(['e59', 'e58']);
      expect(alice.at(-1)).toBe('e10');
      expect(await tl.read('tl-bob')).toEqual(['b0']);
      expect(await tl.read('tl-nobody')).toEqual([]);
      // One append for several people, interleaved: each list gets its own entries in order, after the earlier ones.
      await tl.append([{ person: 'tl-bob', entry: 'b1' }, { person: 'tl-carol', entry: 'c0' }, { person: 'tl-bob', entry: 'b2' }, { person: 'tl-alice', entry: 'e60' }]);
      expect(await tl.read('tl-bob')).toEqual(['b2', 'b1', 'b0']);
      expect(await tl.read('tl-carol')).toEqual(['c0']);
      expect((await tl.read('tl-alice')).slice(0, 2)).toEqual(['e60', 'e59']);
      expect(await tl.read('tl-alice')).toHaveLength(50);
      // Any one-line text, as written: commas, pipes, quotes, non-ASCII, an empty entry.
      const odd = ['[0,"a,b|c",null]', '{"t":"✓ 🙂 \\"q\\" \\n"}', '', '12,34'];
      await tl.append(odd.map((entry) => ({ person: 'tl-dora', entry })));
      expect(await tl.read('tl-dora')).toEqual([...odd].reverse());
    });

    it('connector store: entries by key prefix, glob characters taken literally', async () => {
      const s = p.connectorStore!('registry');
      const many = Array.from({ length: 1203 }, (_, i): [string, string] => [`hook:${i}`, `v${i}`]);
      await s.set([...many, ['status:1', 's'], ['hook*:x', 'star'], ['version', 'v']]);
      const hooks = await s.entries('hook:');
      expect(hooks.size).toBe(1203);
      expect(hooks.get('hook:1202')).toBe('v1202');
      expect(await s.entries('hook*')).toEqual(new Map([['hook*:x', 'star']]));
      expect((await s.entries('')).size).toBe(1206);
      expect(await p.connectorStore!('registry-2').entries('')).toEqual(new Map());
    });

    it('drives the PresenceManager: changes, versions, stale input, time boundaries', async () => {
      const manager = new PresenceManager({ pipeline: p, rules: DEFAULT_RULES, log: silentLogger() });
      const changes: Presence[] = [];
      p.bus.subscribe((x) => changes.push(x));
      manager.start();
      await p.queue.enqueue([sig({ person: 'alice', availability: 6500, sourceVersion: 2 })]);
      const first = await until(async () => (await p.store.getPresence(['alice'])).get('alice'), 'alice presence');
      expect(first).toMatchObject({ class: 'busy', version: 1 });
      await until(() => changes.some((c) => c.person === 'alice' && c.version === 1), 'change on the bus');
      await p.queue.enqueue([sig({ person: 'alice', availability: 9500, sourceVersion: 1 })]); // stale
      await p.queue.enqueue([sig({ person: 'alice', availability: 9500, sourceVersion: 3 })]);
      await until(async () => (await p.store.getPresence(['alice'])).get('alice')?.version === 2, 'version 2');
      expect((await p.store.getPresence(['alice'])).get('alice')?.class).toBe('dnd');
      // A calendar window that ends soon: the boundary brings the presence back without any signal.
      const now = await p.store.now();
      await p.queue.enqueue([
        sig({ person: 'bea', category: 'calendar', expireType: 'time', availability: 6500, from: now - 1000, until: now + 800 }),
      ]);
      await until(async () => (await p.store.getPresence(['bea'])).get('bea')?.class === 'busy', 'bea busy');
      await until(async () => (await p.store.getPresence(['bea'])).get('bea')?.class === 'offline', 'bea back to offline', 8000);
      expect((await p.store.getPresence(['bea'])).get('bea')?.version).toBe(2);
    });
  });
}
