import type { Clock } from '../../util/clock.ts';
import type { BoundaryScheduler } from '../ports.ts';

/** People handed to the manager per call when many boundaries are due at once. */
const ROUND = 2000;

/**
 * Time boundaries of embedded mode: a min-heap of (at, person) with one timer for the earliest.
 * Rescheduling a person supersedes its older entry (lazy deletion), so nothing scans all people.
 */
export class MemoryBoundaries implements BoundaryScheduler {
  private readonly next = new Map<string, number>();
  private heap: [number, string][] = [];
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private onDue: ((people: readonly string[], at: number) => Promise<void>) | undefined;
  private closed = false;

  constructor(private readonly clock: Clock) {}

  async schedule(entries: readonly { person: string; at: number | undefined }[]): Promise<void> {
    for (const { person, at } of entries) {
      if (at === undefined) {
        this.next.delete(person);
        continue;
      }
      if (this.next.get(person) === at) continue;
      this.next.set(person, at);
      this.push([at, person]);
    }
    this.arm();
  }

  start(onDue: (people: readonly string[], at: number) => Promise<void>): void {
    this.onDue = onDue;
    this.arm();
  }

  private push(e: [number, string]): void {
    const h = this.heap;
    h.push(e);
    let i = h.length - 1;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (h[p]![0] <= h[i]![0]) break;
      [h[p], h[i]] = [h[i]!, h[p]!];
      i = p;
    }
  }

  private pop(): [number, string] | undefined {
    const h = this.heap;
    const top = h[0];
    const last = h.pop();
    if (h.length > 0 && last !== undefined) {
      h[0] = last;
      let i = 0;
      for (;;) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < h.length && h[l]![0] < h[m]![0]) m = l;
        if (r < h.length && h[r]![0] < h[m]![0]) m = r;
        if (m === i) break;
        [h[m], h[i]] = [h[i]!, h[m]!];
        i = m;
      }
    }
    return top;
  }

  private arm(): void {
    if (this.closed || this.onDue === undefined) return;
    while (this.heap.length > 0 && this.next.get(this.heap[0]![1]) !== this.heap[0]![0]) this.pop();
    const first = this.heap[0];
    if (first === undefined) return;
    if (this.timer !== undefined && this.timerAt <= first[0]) return;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timerAt = first[0];
    // setTimeout holds at most 2^31-1 ms; a later boundary re-arms on the way.
    const delay = Math.min(Math.max(0, first[0] - this.clock.now()), 2 ** 31 - 1);
    this.timer = setTimeout(() => void this.fire(), delay);
    this.timer.unref?.();
  }

  /** Hands every due person to the manager; exposed for tests that drive the clock by hand. */
  async fire(): Promise<void> {
    this.timer = undefined;
    this.timerAt = Infinity;
    const now = this.clock.now();
    const due: string[] = [];
    while (this.heap.length > 0 && this.heap[0]![0] <= now) {
      const [at, person] = this.pop()!;
      if (this.next.get(person) === at) {
        this.next.delete(person);
        due.push(person);
      }
    }
    // In rounds, as Redis mode claims them: a storm of 600 000 boundaries is recomputed, committed
    // and streamed 2 000 people at a time, not held in memory all at once.
    for (let i = 0; i < due.length && this.onDue !== undefined; i += ROUND) await this.onDue(due.slice(i, i + ROUND), now);
    this.arm();
  }

  pendingFor(person: string): number | undefined {
    return this.next.get(person);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}
