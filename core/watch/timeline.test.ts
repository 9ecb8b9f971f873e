import { describe, expect, it } from 'vitest';
import { offlinePresence } from '../model/presence.ts';
import type { Signal } from '../model/signal.ts';
import { Timeline } from './timeline.ts';

const signal = (person: string, n: number): Signal => ({ person, source: 's', endpoint: `e${n}`, category: 'user', expireType: 'user', availability: 3500 + n });

describe('Timeline', () => {
  it('keeps the last entries per person, newest first', () => {
    let t = 0;
    const tl = new Timeline({ perPerson: 3, people: 10, now: () => ++t });
    for (let n = 1; n <= 5; n++) tl.signals([{ signal: signal('alice', n), outcome: 'applied' }]);
    tl.change({ ...offlinePresence('alice', 0), version: 9 });
    const e = tl.entries('alice');
    expect(e.map((x) => (x.type === 'signal' ? x.signal.endpoint : `v${x.presence.version}`))).toEqual(['v9', 'e5', 'e4']);
    expect(tl.entries('bob')).toEqual([]);
  });

  it('forgets the least recently touched person beyond the bound', () => {
    const tl = new Timeline({ perPerson: 2, people: 2, now: () => 0 });
    tl.signals([{ signal: signal('a', 1), outcome: 'applied' }]);
    tl.signals([{ signal: signal('b', 1), outcome: 'stale' }]);
    tl.signals([{ signal: signal('a', 2), outcome: 'applied' }]);
    tl.signals([{ signal: signal('c', 1), outcome: 'duplicate' }]);
    expect(tl.size).toBe(2);
    expect(tl.entries('b')).toEqual([]);
    expect(tl.entries('a')).toHaveLength(2);
  });
});
