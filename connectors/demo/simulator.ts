/**
 * The demo's upstream: a simulated office whose people use laptops, take phone calls, join
 * meetings and set their state by hand, chosen by a seeded generator so a run can be replayed.
 * It reports what happened as events, the way a real system reports its own; map.ts turns them
 * into signals.
 */
import { seededRandom } from '../../core/util/random.ts';

export type DemoEvent =
  | { readonly kind: 'input'; readonly person: string; readonly at: number }
  | { readonly kind: 'call-started' | 'call-ended'; readonly person: string; readonly at: number }
  | { readonly kind: 'meeting'; readonly person: string; readonly at: number; readonly from: number; readonly until: number; readonly subject: string }
  | { readonly kind: 'state-set'; readonly person: string; readonly at: number; readonly availability: 'available' | 'dnd' | 'away' | 'busy' }
  | { readonly kind: 'laptop-shut'; readonly person: string; readonly at: number };

export class SimulatedOffice {
  private readonly random: () => number;
  private readonly inCall = new Set<string>();
  /** Relative weight of each kind of event. */
  private readonly weights: readonly [number, (person: string, now: number) => DemoEvent][];

  constructor(o: { seed: number; meetingLength: number }) {
    this.random = seededRandom(o.seed);
    this.weights = [
      [40, (person, at) => ({ kind: 'input', person, at })],
      [20, (person, at) => (this.inCall.delete(person) ? { kind: 'call-ended', person, at } : (this.inCall.add(person), { kind: 'call-started', person, at }))],
      // A meeting starts in a few seconds and ends on time, without another event.
      [15, (person, at) => {
        const from = at + 3000 + Math.floor(this.random() * 5000);
        return { kind: 'meeting', person, at, from, until: from + o.meetingLength, subject: 'Weekly sync' };
      }],
      [10, (person, at) => {
        const r = this.random();
        return { kind: 'state-set', person, at, availability: r < 0.4 ? 'available' : r < 0.7 ? 'dnd' : r < 0.85 ? 'away' : 'busy' };
      }],
      [5, (person, at) => ({ kind: 'laptop-shut', person, at })],
    ];
  }

  /** Everyone opens a laptop: the demo shows people at once. */
  morning(people: readonly string[], now: number): DemoEvent[] {
    return people.map((person) => ({ kind: 'input', person, at: now }));
  }

  /** `count` things that happen now to people picked at random. */
  happen(people: readonly string[], now: number, count: number): DemoEvent[] {
    if (people.length === 0) return [];
    const total = this.weights.reduce((s, [w]) => s + w, 0);
    const out: DemoEvent[] = [];
    for (let i = 0; i < count; i++) {
      const person = people[Math.floor(this.random() * people.length)]!;
      let r = this.random() * total;
      for (const [w, make] of this.weights) {
        r -= w;
        if (r < 0) {
          out.push(make(person, now));
          break;
        }
      }
    }
    return out;
  }
}
