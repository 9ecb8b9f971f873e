import { describe, expect, it } from 'vitest';
import { offlinePresence, viewFor, type Presence } from '../model/presence.ts';
import type { Signal } from '../model/signal.ts';
import { MemoryTimelineStore } from '../pipeline/embedded/timeline-store.ts';
import { silentLogger } from '../util/logger.ts';
import type { TimelineStore } from '../pipeline/ports.ts';
import { changeEntry, readEntry, signalEntry, Timeline } from './timeline.ts';

const signal = (person: string, n: number): Signal => ({ person, source: 's', endpoint: `e${n}`, category: 'user', expireType: 'user', availability: 3500 + n });
const settle = () => new Promise((r) => setImmediate(r));

describe('Timeline', () => {
  it('keeps the last entries per person, newest first', async () => {
    let t = 0;
    const tl = new Timeline({ store: new MemoryTimelineStore({ perPerson: 3, people: 10 }), now: () => ++t, log: silentLogger() });
    for (let n = 1; n <= 5; n++) tl.signals([{ signal: signal('alice', n), outcome: 'applied' }]);
    tl.changes([{ ...offlinePresence('alice', 0), version: 9 }]);
    await settle();
    const e = await tl.entries('alice');
    expect(e.map((x) => (x.type === 'signal' ? x.signal.endpoint : `v${x.presence.version}`))).toEqual(['v9', 'e5', 'e4']);
    expect(await tl.entries('bob')).toEqual([]);
  });

  it('forgets the least recently touched person beyond the bound', async () => {
    const store = new MemoryTimelineStore({ perPerson: 2, people: 2 });
    const tl = new Timeline({ store, now: () => 0, log: silentLogger() });
    tl.signals([{ signal: signal('a', 1), outcome: 'applied' }]);
    tl.signals([{ signal: signal('b', 1), outcome: 'stale' }]);
    tl.signals([{ signal: signal('a', 2), outcome: 'applied' }]);
    tl.signals([{ signal: signal('c', 1), outcome: 'duplicate' }]);
    expect(await tl.entries('b')).toEqual([]);
    expect(store.size).toBe(2);
    expect(await tl.entries('a')).toHaveLength(2);
  });

  it("writes a batch's signals and the changes they caused in one append, in order, and what gathered before a read", async () => {
    const inner = new MemoryTimelineStore();
    const appends: number[] = [];
    // The real store, with each append's size noted.
    const store: TimelineStore = { append: (e) => (appends.push(e.length), inner.append(e)), read: (p) => inner.read(p) };
    let t = 0;
    const tl = new Timeline({ store, now: () => ++t, log: silentLogger(), gatherMs: 60_000 });
    tl.signals([{ signal: signal('alice', 1), outcome: 'applied' }, { signal: signal('bob', 1), outcome: 'applied' }]);
    await settle();
    tl.changes([{ ...offlinePresence('alice', 0), version: 1 }, { ...offlinePresence('bob', 0), version: 1 }]);
    await settle();
    expect(appends).toEqual([]);
    // A read writes what gathered first: one append for the four entries.
    const e = await tl.entries('alice');
    expect(appends).toEqual([4]);
    expect(e.map((x) => `${x.type}@${x.at}`)).toEqual(['change@2', 'signal@1']);
    expect((await tl.entries('bob')).map((x) => x.type)).toEqual(['change', 'signal']);
    expect(appends).toEqual([4]);
  });

  it('writes at once once closed', async () => {
    const inner = new MemoryTimelineStore();
    const appends: number[] = [];
    const store: TimelineStore = { append: (e) => (appends.push(e.length), inner.append(e)), read: (p) => inner.read(p) };
    const tl = new Timeline({ store, now: () => 0, log: silentLogger(), gatherMs: 60_000 });
    tl.signals([{ signal: signal('alice', 1), outcome: 'applied' }]);
    await tl.close();
    expect(appends).toEqual([1]);
    tl.signals([{ signal: signal('alice', 2), outcome: 'applied' }]);
    expect(appends).toEqual([1, 1]);
    expect(await inner.read('alice')).toHaveLength(2);
  });

  it('stores entries compactly and reads them back as the object form an earlier version stored (and reads that form too)', () => {
    const signals: Signal[] = [
      { person: 'p', source: 'bench', endpoint: 'default', category: 'phone', expireType: 'device', availability: 6500, activity: { token: 'on-the-phone', text: 's1' }, sourceVersion: 7, receivedAt: 5 },
      { person: 'p', source: 'teams', endpoint: 'laptop', category: 'machine', expireType: 'device', machineState: 'inactive' },
      { person: 'p', source: 'cal', endpoint: 'm|1', category: 'calendar', expireType: 'time', availability: 6500, activity: { token: 'in-a-meeting' }, from: 1000, until: 2000 },
      { person: 'p', source: 's', endpoint: 'e', category: 'user', expireType: 'user', availability: 0, activity: { text: 'quote " back\\slash, ✓ and 🙂' }, sourceTime: 123, id: 'k|"\n,"id":"x"' },
      { person: 'p', source: 's', endpoint: 'e', category: 'custom', expireType: 'endpoint', availability: 9500, id: 'only-id' },
    ];
    for (const [i, s] of signals.entries()) {
      const outcome = (['applied', 'stale', 'duplicate'] as const)[i % 3]!;
      const { receivedAt: _r, ...shown } = s;
      const compact = signalEntry(1764600000000 + i, outcome, s);
      const earlier = JSON.stringify({ at: 1764600000000 + i, type: 'signal', outcome, signal: s });
      expect(readEntry('p', compact)).toEqual({ at: 1764600000000 + i, type: 'signal', outcome, signal: shown });
      expect(readEntry('p', earlier)).toEqual(JSON.parse(earlier));
      expect(compact.length).toBeLessThan(earlier.length * 0.75);
    }
    const presences: Presence[] = [
      { person: 'p', availability: 6500, class: 'busy', activity: { token: 'on-the-phone', text: 'On the phone' }, since: 1000, version: 9, views: { full: 4, limited: 2, limitedSince: 900 }, decidedBy: 'pbx', decidedCategory: 'phone' },
      { person: 'p', availability: 3500, class: 'available', activity: { token: 'available', text: 'Avail "a" ✓' }, machineState: 'active', lastActive: 1500, since: 1200, version: 10 },
      { person: 'p', availability: 3500, class: 'available', activity: { token: 'available', text: 'x' }, lastActive: 1500, since: 1200, version: 11 },
      { ...offlinePresence('p', 0), version: 0 },
    ];
    for (const p of presences) {
      const e = readEntry('p', changeEntry(77, p));
      expect(e?.type === 'change' && e.at).toBe(77);
      // What the timeline route shows of a change: its personal view.
      expect(e?.type === 'change' && viewFor(e.presence, 'personal', 500)).toEqual(viewFor(p, 'personal', 500));
    }
  });
});
