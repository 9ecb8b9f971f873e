import type { Presence } from '../model/presence.ts';
import type { ApplyOutcome } from '../model/register.ts';
import type { Signal } from '../model/signal.ts';

/** One line of a person's recent history: a presence change or a signal the manager applied. */
export type TimelineEntry =
  | { readonly at: number; readonly type: 'change'; readonly presence: Presence }
  | { readonly at: number; readonly type: 'signal'; readonly outcome: ApplyOutcome; readonly signal: Signal };

/**
 * The last changes and signals per person, for the admin's person page. Bounded twice: at most
 * `perPerson` entries per person (a ring buffer) and at most `people` people (the least recently
 * touched person is forgotten first), so a flood of signals cannot grow the hub's memory.
 * Kept in memory on this node only: it starts empty after a restart, and in Redis mode it holds
 * the signals this node's workers applied and the changes this node saw on the bus.
 */
export class Timeline {
  private readonly rings = new Map<string, { buf: TimelineEntry[]; next: number }>();

  constructor(private readonly opts: { perPerson: number; people: number; now: () => number }) {}

  change(p: Presence): void {
    this.push(p.person, { at: this.opts.now(), type: 'change', presence: p });
  }

  signals(items: readonly { signal: Signal; outcome: ApplyOutcome }[]): void {
    const at = this.opts.now();
    for (const { signal, outcome } of items) this.push(signal.person, { at, type: 'signal', outcome, signal });
  }

  /** The person's entries, newest first. */
  entries(person: string): TimelineEntry[] {
    const r = this.rings.get(person);
    if (r === undefined) return [];
    const n = r.buf.length;
    const out: TimelineEntry[] = [];
    for (let i = 1; i <= n; i++) out.push(r.buf[(r.next - i + n) % n]!);
    return out;
  }

  forget(person: string): void {
    this.rings.delete(person);
  }

  get size(): number {
    return this.rings.size;
  }

  private push(person: string, e: TimelineEntry): void {
    let r = this.rings.get(person);
    if (r === undefined) {
      r = { buf: [], next: 0 };
      if (this.rings.size >= this.opts.people) {
        const oldest = this.rings.keys().next();
        if (oldest.done !== true) this.rings.delete(oldest.value);
      }
    } else {
      this.rings.delete(person); // re-inserted below: Map order is the least recently touched first
    }
    this.rings.set(person, r);
    if (r.buf.length < this.opts.perPerson) r.buf.push(e);
    else r.buf[r.next] = e;
    r.next = (r.next + 1) % this.opts.perPerson;
  }
}
