import { describe, expect, it } from 'vitest';
import { firingId, freshState, type TriggerDef } from './model.ts';

const def: TriggerDef = { id: 'standup', origin: 'config', people: ['p1', 'p2'], atLeast: 1, classes: ['available'], hysteresis: 30_000, action: { type: 'sse' }, watcherOwned: false, createdAt: 0 };
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-8[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('firing ids (docs/triggers.md "Delivery: at least once")', () => {
  it('are the same for the same stored state and number, on any node', () => {
    const s = freshState(def, false);
    expect(firingId('standup', s, 3)).toMatch(UUID);
    expect(firingId('standup', { ...s }, 3)).toBe(firingId('standup', s, 3));
  });

  it('differ between firings, and between epochs (a trigger made again under its id)', () => {
    const s = freshState(def, false);
    expect(firingId('standup', s, 2)).not.toBe(firingId('standup', s, 3));
    expect(firingId('standup', freshState(def, false), 3)).not.toBe(firingId('standup', s, 3));
  });

  it('of a state stored without an epoch come from the trigger id and its condition', () => {
    const old = { fp: 'abc' };
    expect(firingId('standup', old, 1)).toMatch(UUID);
    expect(firingId('standup', old, 1)).toBe(firingId('standup', { fp: 'abc' }, 1));
    expect(firingId('other', old, 1)).not.toBe(firingId('standup', old, 1));
  });
});
