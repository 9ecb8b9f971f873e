import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Directory } from '../directory/directory.ts';
import { AVAILABILITY_CLASSES, MACHINE_STATES } from '../model/availability.ts';
import { personSchema } from '../model/person.ts';
import { CONTAINERS, viewFor, type Presence } from '../model/presence.ts';
import { sharedView, sharedViewChange, viewKey, type WatcherIdentity } from './watchers.ts';

// alice is watched: bob is her team mate, carol in the company, mallory blocked, dan personal.
const people = [
  { id: 'alice', teams: ['sales'], blocked: ['mallory'], personal: ['dan'] },
  { id: 'bob', teams: ['sales'] },
  { id: 'carol', teams: ['support'] },
  { id: 'dan' },
  { id: 'mallory', teams: ['sales'] },
].map((p) => personSchema.parse(p));
const dir = new Directory(people, 1_000);
const as = (person: string): WatcherIdentity => ({ person, all: false });

const presence = (over: Partial<Presence> & { version: number }): Presence =>
  Object.freeze({ person: 'alice', availability: 6500, class: 'busy', activity: Object.freeze({ token: 'in-a-meeting', text: 'Weekly' }), since: 5_000, views: { full: over.version, limited: over.version }, ...over });

describe('views shared by the watchers of a change', () => {
  it('gives every watcher of one view shape the same view and the same JSON, built once', () => {
    const prev = presence({ version: 1, availability: 3500, class: 'available', activity: { token: 'available', text: 'Available' } });
    const next = presence({ version: 2 });
    const bob = sharedViewChange(dir, as('bob'), prev, next);
    const dan = sharedViewChange(dir, as('dan'), prev, next);
    const admin = sharedViewChange(dir, { all: true }, prev, next);
    expect(bob).toBeDefined();
    // team, personal and admin see the full view: one object, one serialization.
    expect(dan).toBe(bob);
    expect(admin).toBe(bob);
    expect(bob!.data).toBe(JSON.stringify(viewFor(next, 'team', dir.loadedAt)));
    const carol = sharedViewChange(dir, as('carol'), prev, next);
    const anyone = sharedViewChange(dir, { all: false }, prev, next);
    expect(anyone).toBe(carol);
    expect(carol).not.toBe(bob);
    expect(JSON.parse(carol!.data)).toEqual(viewFor(next, 'company', dir.loadedAt));
    expect(carol!.view.activity).toEqual({ token: 'busy', text: 'Busy' });
    // A blocked watcher is told nothing.
    expect(sharedViewChange(dir, as('mallory'), prev, next)).toBeUndefined();
  });

  it('builds the views of the next change afresh', () => {
    const a = presence({ version: 3 });
    const b = presence({ version: 4, activity: { token: 'in-a-meeting', text: 'Review' } });
    const first = sharedView(a, 'team', dir.loadedAt);
    expect(sharedView(a, 'personal', dir.loadedAt)).toBe(first);
    const second = sharedView(b, 'team', dir.loadedAt);
    expect(second).not.toBe(first);
    expect(second.view.activity.text).toBe('Review');
    expect(first.view.activity.text).toBe('Weekly');
  });

  it('does not tell a company watcher that an activity it cannot see changed', () => {
    const prev = presence({ version: 5 });
    const next = presence({ version: 6, activity: { token: 'in-a-meeting', text: 'Board' }, views: { full: 6, limited: 5 } });
    expect(sharedViewChange(dir, as('carol'), prev, next)).toBeUndefined();
    expect(sharedViewChange(dir, as('bob'), prev, next)?.view.activity.text).toBe('Board');
  });

  it('tells a watcher of a change exactly when the view keys of the two views differ', () => {
    const cls = fc.constantFrom(...AVAILABILITY_CLASSES);
    const state = fc.record({
      availability: fc.constantFrom(3500, 6500, 18000),
      class: cls,
      activity: fc.record({ token: fc.constantFrom('a', 'b'), text: fc.constantFrom('x', 'y') }),
      machineState: fc.option(fc.constantFrom(...MACHINE_STATES), { nil: undefined }),
      lastActive: fc.option(fc.constantFrom(10_000, 20_000), { nil: undefined }),
    });
    const watchers = ['bob', 'carol', 'dan', 'mallory', undefined];
    fc.assert(
      fc.property(state, state, fc.constantFrom(...watchers), (s1, s2, who) => {
        const strip = (s: typeof s1) => Object.fromEntries(Object.entries(s).filter(([, v]) => v !== undefined));
        const prev = presence({ version: 1, ...strip(s1) });
        const next = presence({ version: 2, ...strip(s2) });
        const w: WatcherIdentity = who === undefined ? { all: false } : as(who);
        const c = dir.containerFor(who, 'alice');
        expect(CONTAINERS).toContain(c);
        const differs = viewKey(viewFor(prev, c, dir.loadedAt)) !== viewKey(viewFor(next, c, dir.loadedAt));
        const sent = sharedViewChange(dir, w, prev, next);
        expect(sent !== undefined).toBe(differs);
        if (sent !== undefined) expect(sent.view).toEqual(viewFor(next, c, dir.loadedAt));
      }),
    );
  });
});
