/**
 * Presence out to a directory-sync target, shared by the LDAP attribute writer and
 * the outbound webhook: only a change of availability class is written (a directory attribute is
 * no place for every activity change), the newest class per person wins while waiting, and batches
 * leave at most once per interval, so a storm of changes never floods the directory.
 */
import { backoffDelay, type BackoffOptions } from '../../core/connector/backoff.ts';
import type { AvailabilityClass } from '../../core/model/availability.ts';
import type { Presence } from '../../core/model/presence.ts';
import type { Clock } from '../../core/util/clock.ts';

export interface ClassChange {
  readonly person: string;
  readonly class: AvailabilityClass;
  readonly availability: number;
  /** When the presence took this value (ms). */
  readonly at: number;
}

/** What a delivery did with each change of the batch it was given. */
export interface DeliveryOutcome {
  /** Written: remembered as the person's current class. */
  readonly delivered: readonly string[];
  /** Not written for a passing reason: kept and tried again after a backoff. */
  readonly retry: readonly string[];
  /** Never writable (unknown person, refused): forgotten. */
  readonly dropped: readonly string[];
  /** When the target asked to wait (Retry-After), ms. */
  readonly retryAfterMs?: number;
}

export interface BatcherOptions {
  readonly clock: Clock;
  /** Most changes per batch. */
  readonly batchSize: number;
  /** Least time between two batches (the rate limit): ms. */
  readonly interval: number;
  readonly backoff?: BackoffOptions;
  readonly random?: () => number;
  deliver(batch: readonly ClassChange[]): Promise<DeliveryOutcome>;
}

export class ClassChangeBatcher {
  /** The class last written per person. */
  private readonly written = new Map<string, AvailabilityClass>();
  private readonly pending = new Map<string, ClassChange>();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private failures = 0;
  private notBefore = 0;

  constructor(private readonly opts: BatcherOptions) {}

  get pendingCount(): number {
    return this.pending.size;
  }

  /** Queues the class changes among `changes`; a return to the class already written cancels. */
  offer(changes: readonly Presence[]): number {
    let queued = 0;
    for (const p of changes) {
      if (this.written.get(p.person) === p.class) {
        this.pending.delete(p.person);
        continue;
      }
      this.pending.set(p.person, { person: p.person, class: p.class, availability: p.availability, at: p.since });
      queued++;
    }
    return queued;
  }

  /** Flushes a batch every interval until stopped. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => void this.flush(), this.opts.interval);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await this.flushing;
  }

  /** Delivers one batch now (unless a backoff is running); returns when it is done. */
  async flush(): Promise<void> {
    if (this.flushing !== undefined) return this.flushing;
    if (this.pending.size === 0 || this.opts.clock.now() < this.notBefore) return;
    this.flushing = this.deliverBatch().finally(() => {
      this.flushing = undefined;
    });
    return this.flushing;
  }

  /** Flushes batches until nothing is pending or a delivery asks to wait (tests, shutdown). */
  async drain(): Promise<void> {
    while (this.pending.size > 0 && this.opts.clock.now() >= this.notBefore) {
      const before = this.pending.size;
      await this.flush();
      if (this.pending.size >= before && this.failures > 0) return;
    }
  }

  private async deliverBatch(): Promise<void> {
    const batch: ClassChange[] = [];
    for (const c of this.pending.values()) {
      if (batch.length >= this.opts.batchSize) break;
      batch.push(c);
    }
    for (const c of batch) this.pending.delete(c.person);
    let outcome: DeliveryOutcome;
    try {
      outcome = await this.opts.deliver(batch);
    } catch {
      outcome = { delivered: [], retry: batch.map((c) => c.person), dropped: [] };
    }
    const byPerson = new Map(batch.map((c) => [c.person, c]));
    for (const id of outcome.delivered) {
      const c = byPerson.get(id);
      if (c !== undefined) this.written.set(id, c.class);
      // A newer change queued meanwhile that returns to the written class needs no write.
      const newer = this.pending.get(id);
      if (newer !== undefined && c !== undefined && newer.class === c.class) this.pending.delete(id);
    }
    for (const id of outcome.retry) {
      const c = byPerson.get(id);
      // Keep the newest: a change queued meanwhile replaces the one that failed.
      if (c !== undefined && !this.pending.has(id)) this.pending.set(id, c);
    }
    if (outcome.retry.length > 0) {
      this.failures++;
      const delay = outcome.retryAfterMs ?? backoffDelay(this.failures, this.opts.backoff ?? { baseMs: 1000, maxMs: 60_000 }, this.opts.random);
      this.notBefore = this.opts.clock.now() + delay;
    } else {
      this.failures = 0;
      this.notBefore = 0;
    }
  }
}
