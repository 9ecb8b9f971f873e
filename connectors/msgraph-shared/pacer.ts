import type { Clock } from '../../core/util/clock.ts';
import { HubError, isHubError } from '../../core/errors.ts';

export type Sleep = (ms: number) => Promise<void>;
export const realSleep: Sleep = (ms) => new Promise((r) => setTimeout(r, Math.max(0, ms)).unref?.());

/** The error of a request the pacer refused because the connector is stopping: never sent, and not a failure to report. */
export function stoppedError(): HubError {
  return new HubError('HUB_ERR_CONNECTOR_STOPPED', 'Graph request not sent: the connector is stopping', { kind: 'transient' });
}

/** True for a request refused by a stopping connector (stoppedError): the caller drops it quietly, logs and health stay as they were. */
export function isStopped(e: unknown): boolean {
  return isHubError(e) && e.code === 'HUB_ERR_CONNECTOR_STOPPED';
}

/**
 * Keeps requests inside a published budget (Graph presence: 1,500 requests per 30 s per app per
 * tenant, getPresencesByUserId) with a sliding window, and holds every caller back while Graph has
 * asked for a pause with Retry-After (429), since that pause applies to the whole app.
 *
 * A connector's stop: `cancel()` ends every wait at once and refuses every request from then on
 * with HUB_ERR_CONNECTOR_STOPPED, never sent (a waiting one, and the next page of a sync or batch of
 * a poll still under way, which thus ends at once). When that work has ended, `drain()` lets the
 * stop's own clean-up through (deleting its subscriptions), but only what Graph allows right now:
 * a request that would have to wait is refused the same way, so a stop never waits out a
 * Retry-After. `resume()` (the next start) restores the normal waiting.
 */
export class RequestPacer {
  private readonly sent: number[] = [];
  private head = 0;
  private pausedUntil = 0;
  private state: 'open' | 'cancelled' | 'draining' = 'open';
  /** Wakes the requests now waiting (cancel()). */
  private readonly wakers = new Set<() => void>();
  constructor(private readonly o: { limit: number; windowMs: number; clock: Clock; sleep?: Sleep }) {}

  get limit(): number {
    return this.o.limit;
  }

  /** Requests waiting for budget or for a Retry-After pause to end (for health and tests). */
  get waiting(): number {
    return this.wakers.size;
  }

  /**
   * Waits until one more request fits the budget and no Retry-After pause holds, then records it
   * and calls `issue` in the same synchronous step, so nothing (a 429 coming back for another
   * request) can slip between the check and the request going out: a request issued after a 429
   * arrived always waits out its Retry-After. Only a request already on the wire when the 429
   * arrives is beyond any client's control.
   *
   * `prepare` (the bearer token) runs after the last wait, right before the request goes out, and
   * the check is made again after it: a token fetched before a long pause could have expired by
   * the time the request is sent (one 401 more), and a 429 arriving while the token endpoint
   * answered still holds this request back.
   */
  async send<T>(issue: () => Promise<T>, prepare?: () => Promise<void>): Promise<T> {
    let prepared = prepare === undefined;
    for (;;) {
      if (this.state === 'cancelled') throw stoppedError();
      const now = this.o.clock.now();
      let wait = 0;
      if (this.pausedUntil > now) wait = this.pausedUntil - now;
      else {
        while (this.head < this.sent.length && (this.sent[this.head] ?? 0) <= now - this.o.windowMs) this.head++;
        if (this.head > 1024) {
          this.sent.splice(0, this.head);
          this.head = 0;
        }
        if (this.sent.length - this.head >= this.o.limit) wait = (this.sent[this.head] ?? now) + this.o.windowMs - now + 1;
      }
      if (wait > 0) {
        if (this.state !== 'open') throw stoppedError();
        prepared = prepare === undefined;
        await this.sleep(wait);
        continue;
      }
      if (!prepared) {
        await prepare!();
        prepared = true;
        continue;
      }
      this.sent.push(now);
      return issue();
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

  /** The connector is stopping: waiting requests reject and so does every later one (never sent), until drain() or resume(). */
  cancel(): void {
    this.state = 'cancelled';
    for (const wake of [...this.wakers]) wake();
  }

  /** The stop's clean-up: requests that fit right now go out, one that would have to wait is refused. */
  drain(): void {
    if (this.state === 'cancelled') this.state = 'draining';
  }

  /** The connector starts (again): requests wait for budget and pauses as before. */
  resume(): void {
    this.state = 'open';
  }

  /** Requests sent in the current window (for health and tests). */
  inWindow(): number {
    const now = this.o.clock.now();
    return this.sent.slice(this.head).filter((t) => t > now - this.o.windowMs).length;
  }

  /** Sleeps `ms`, or less when cancel() wakes it (the loop then refuses the request). */
  private sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const wake = (): void => {
        if (this.wakers.delete(wake)) resolve();
      };
      this.wakers.add(wake);
      void (this.o.sleep ?? realSleep)(ms).then(wake, wake);
    });
  }
}
