import { describe, expect, it } from 'vitest';
import type { AvailabilityClass } from '../model/availability.ts';
import { INITIAL, quorumSchema, satisfied, step, type TriggerState } from './condition.ts';

const S = 1000;

/** Seed 001's sequence over P1-P5 with N=3, through satisfied() and step(). */
describe('a quorum trigger over P1-P5, N = 3', () => {
  const q = quorumSchema.parse({ people: ['p1', 'p2', 'p3', 'p4', 'p5'], atLeast: 3, hysteresis: 30 });
  const online = new Set<string>();
  let state: TriggerState = INITIAL;
  const fired: number[] = [];
  const at = (t: number, change: () => void) => {
    change();
    const r = step(state, satisfied(q, (p): AvailabilityClass => (online.has(p) ? 'available' : 'offline')), t * S, q.hysteresis);
    state = r.state;
    if (r.fire) fired.push(t);
  };

  it('fires once when P5 arrives, again only after the quorum was lost and regained, not for a flap', () => {
    at(0, () => online.add('p2'));
    at(10, () => online.add('p4'));
    expect(fired).toEqual([]);
    at(20, () => online.add('p5'));
    expect(fired).toEqual([20]);
    at(25, () => online.add('p1')); // 4 of 5: still the same episode
    at(26, () => online.delete('p1'));
    expect(fired).toEqual([20]);
    at(100, () => online.delete('p4')); // quorum lost
    at(200, () => online.add('p4')); // regained after 100 s > 30 s hysteresis
    expect(fired).toEqual([20, 200]);
    at(210, () => online.delete('p5')); // P5 flaps within the window
    at(215, () => online.add('p5'));
    at(216, () => online.delete('p5'));
    at(220, () => online.add('p5'));
    expect(fired).toEqual([20, 200]);
    at(300, () => online.delete('p5'));
    at(330, () => online.add('p5')); // exactly the hysteresis: a new episode
    expect(fired).toEqual([20, 200, 330]);
  });
});

describe('quorum configuration', () => {
  it('refuses bad quorums with the path named', () => {
    const issues = (v: unknown) => quorumSchema.safeParse(v).error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    expect(issues({ people: ['a'], atLeast: 2 })).toEqual(['atLeast: atLeast is more than the people listed']);
    expect(issues({ people: ['a', 'a'], atLeast: 1 })?.[0]).toMatch(/^people: a person appears twice/);
    expect(issues({ people: ['a'], atLeast: 1, classes: ['free'] })?.[0]).toMatch(/^classes\.0/);
  });

  it('counts the configured classes', () => {
    const q = quorumSchema.parse({ people: ['a', 'b'], atLeast: 2, classes: ['available', 'busy'] });
    expect(satisfied(q, (p) => (p === 'a' ? 'busy' : 'available'))).toBe(true);
    expect(satisfied(q, (p) => (p === 'a' ? 'dnd' : 'available'))).toBe(false);
  });
});
