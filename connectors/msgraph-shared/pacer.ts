import type { Clock } from '../../core/util/clock.ts';

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)).unref?.());

/**
 * Keeps requests inside a published budget (Graph presence: 1,500 requests per 30 s per app per
 * tenant, getPresencesByUserId) with a sliding window, and holds every caller back while Graph has
 * asked for a pause with Retry-After (429), since that pause applies to the whole app.
 */
export class RequestPacer {
  private readonly sent: number[] = [];
  private head = 0;
  private pausedUntil = 0;
  constructor(private readonly o: { limit: number; windowMs: number; clock: Clock; sleep?: Sleep }) {}

  get limit(): number {
    return this.o.limit;
  }

  /**
   * Waits until one more request fits the budget and no Retry-After pause holds, then records it
   * and calls `issue` in the same synchronous step, so nothing (a 429 coming back for another
   * request) can slip between the check and the request going out: a request issued after a 429
   * arrived always waits out its Retry-After. Only a request already on the wire when the 429
   * arrives is beyond any client's control.
   */
  async send<T>(issue: () => Promise<T>): Promise<T> {
    const sleep = this.o.sleep ?? realSleep;
    for (;;) {
      const now = this.o.clock.now();
      if (this.pausedUntil > now) {
        await sleep(this.pausedUntil - now);
        continue;
      }
      while (this.head < this.sent.length && (this.sent[this.head] ?? 0) <= now - this.o.windowMs) this.head++;
      if (this.head > 1024) {
        this.sent.splice(0, this.head);
        this.head = 0;
      }
      if (this.sent.length - this.head < this.o.limit) {
        this.sent.push(now);
        return issue();
      }
      const oldest = this.sent[this.head] ?? now;
      await sleep(oldest + this.o.windowMs - now + 1);
    }
  }

  /** Resolves when one more request fits the budget; records it as sent. */
  async acquire(): Promise<void> {
    await this.send(() => Promise.resolve());
  }

  /** Graph said 429 + Retry-After: nobody sends before `until`. */
  pause(until: number): void {
    this.pausedUntil = Math.max(this.pausedUntil, until);
  }

  /** Requests sent in the current window (for health and tests). */
  inWindow(): number {
    const now = this.o.clock.now();
    return this.sent.slice(this.head).filter((t) => t > now - this.o.windowMs).length;
  }
}
