import { describe, expect, it } from 'vitest';
import type { AvailabilityClass } from '../../core/model/availability.ts';
import { classActivity, type Presence } from '../../core/model/presence.ts';
import { ManualClock } from '../../core/util/clock.ts';
import { ClassChangeBatcher, type ClassChange, type DeliveryOutcome } from './class-change-batcher.ts';

const p = (person: string, cls: AvailabilityClass, availability = 0): Presence => ({ person, availability, class: cls, activity: classActivity(cls), since: 1, version: 1 });

function make(answer: (b: readonly ClassChange[]) => DeliveryOutcome = (b) => ({ delivered: b.map((c) => c.person), retry: [], dropped: [] })) {
  const clock = new ManualClock(0);
  const batches: string[][] = [];
  const b = new ClassChangeBatcher({
    clock,
    batchSize: 2,
    interval: 1000,
    random: () => 1,
    deliver: async (batch) => {
      batches.push(batch.map((c) => `${c.person}:${c.class}`));
      return answer(batch);
    },
  });
  return { b, clock, batches };
}

describe('ClassChangeBatcher', () => {
  it('sends only class changes, the newest per person, in batches of batchSize', async () => {
    const { b, batches } = make();
    expect(b.offer([p('a', 'busy'), p('a', 'dnd'), p('b', 'away'), p('c', 'busy')])).toBe(4);
    await b.drain();
    expect(batches).toEqual([['a:dnd', 'b:away'], ['c:busy']]);
    expect(b.offer([p('a', 'dnd', 9999), p('b', 'away')])).toBe(0);
    // Away and back before a flush: nothing to write.
    b.offer([p('c', 'available')]);
    b.offer([p('c', 'busy')]);
    expect(b.pendingCount).toBe(0);
  });

  it('keeps failed changes for a retry after the backoff; a newer change replaces them; dropped ones are forgotten', async () => {
    let fail = true;
    const { b, clock, batches } = make((batch) => (fail ? { delivered: [], retry: batch.filter((c) => c.person === 'a').map((c) => c.person), dropped: batch.filter((c) => c.person !== 'a').map((c) => c.person) } : { delivered: batch.map((c) => c.person), retry: [], dropped: [] }));
    b.offer([p('a', 'busy'), p('x', 'busy')]);
    await b.flush();
    expect(b.pendingCount).toBe(1);
    b.offer([p('a', 'away')]);
    await b.flush(); // inside the backoff: nothing sent
    expect(batches).toHaveLength(1);
    fail = false;
    clock.advance(1000);
    await b.flush();
    expect(batches).toEqual([['a:busy', 'x:busy'], ['a:away']]);
    expect(b.pendingCount).toBe(0);
  });

  it('a throwing delivery counts as a retry', async () => {
    const clock = new ManualClock(0);
    let calls = 0;
    const b = new ClassChangeBatcher({ clock, batchSize: 5, interval: 1000, deliver: async () => { calls++; throw new Error('boom'); } });
    b.offer([p('a', 'busy')]);
    await b.flush();
    expect(calls).toBe(1);
    expect(b.pendingCount).toBe(1);
  });
});
