import { describe, expect, it } from 'vitest';
import { offlinePresence } from '../model/presence.ts';
import type { Signal } from '../model/signal.ts';
import { MemoryTimelineStore } from '../pipeline/embedded/timeline-store.ts';
import { silentLogger } from '../util/logger.ts';
import type { TimelineStore } from '../pipeline/ports.ts';
import { Timeline } from './timeline.ts';

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
});
