import { describe, expect, it } from 'vitest';
import { offlinePresence } from '../model/presence.ts';
import type { Signal } from '../model/signal.ts';
import { MemoryTimelineStore } from '../pipeline/embedded/timeline-store.ts';
import { silentLogger } from '../util/logger.ts';
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
    await settle();
    expect(store.size).toBe(2);
    expect(await tl.entries('b')).toEqual([]);
    expect(await tl.entries('a')).toHaveLength(2);
  });
});
