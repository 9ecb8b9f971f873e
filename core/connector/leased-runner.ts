import { systemClock, type Clock } from '../util/clock.ts';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../util/logger.ts';
import { DEFAULT_LEASE_TTL_MS, type LeasePort } from './lease.ts';

/** What runs under the lease: a ConnectorSupervisor fits (start/stop). */
export interface LeasedTask {
  start(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Runs a task only while this node holds its lease (docs/architecture.md "Two modes": each connector instance
 * on exactly one node at a time). Every ttl/3 it renews the lease it holds, or tries to take the
 * lease it does not hold. It stops the task at once when a renewal says the lease is no longer ours,
 * and also when it could not renew before its own deadline (Redis unreachable): the deadline counts
 * from the moment the last successful renewal was SENT, so it passes no later than the lease expires
 * in Redis and the task is stopped before another node can take the lease over. A margin of ttl/10
 * (at most 1 s) covers timer lateness.
 */
export class LeasedRunner {
  private holdingLease = false;
  private deadline = 0;
  private tickTimer: NodeJS.Timeout | undefined;
  private watchdog: NodeJS.Timeout | undefined;
  private running = false;
  private stopped = true;
  private busy: Promise<void> = Promise.resolve();
  private failingLogged = false;
  private readonly ttl: number;
  private readonly clock: Clock;

  constructor(
    private readonly deps: {
      lease: LeasePort;
      /** The lease name: one per connector instance (its id). */
      name: string;
      /** This node's id. */
      owner: string;
      task: LeasedTask;
      log: Logger;
      ttlMs?: number;
      clock?: Clock;
      /** Told when this node starts or stops holding the lease (metrics, /v1/connectors). */
      onChange?: (holding: boolean) => void;
    },
  ) {
    this.ttl = deps.ttlMs ?? DEFAULT_LEASE_TTL_MS;
    this.clock = deps.clock ?? systemClock;
  }

  get holding(): boolean {
    return this.holdingLease;
  }

  /** Starts trying to hold the lease; returns at once. */
  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.tick();
  }

  private tick(): void {
    this.tickTimer = undefined;
    if (this.stopped) return;
    this.serial(() => (this.holdingLease ? this.renew() : this.acquire())).finally(() => {
      if (!this.stopped) {
        // A holder renews every ttl/3; a node waiting for the lease asks every ttl/6, so a lease
        // left by a dead node is taken over within a sixth of the TTL after it expires, and one
        // released by a clean stop at once (half a second with the default TTL).
        this.tickTimer = setTimeout(() => this.tick(), this.holdingLease ? this.ttl / 3 : this.ttl / 6);
        this.tickTimer.unref?.();
      }
    });
  }

  /** Task starts, stops and lease calls never overlap. */
  private serial(fn: () => Promise<void>): Promise<void> {
    const next = this.busy.then(fn, fn);
    this.busy = next.catch(() => undefined);
    return this.busy;
  }

  private async acquire(): Promise<void> {
    const sentAt = this.clock.now();
    let ok = false;
    try {
      ok = await this.deps.lease.acquire(this.deps.name, this.deps.owner, this.ttl);
      this.failingLogged = false;
    } catch (e) {
      if (!this.failingLogged) this.deps.log.warn({ lease: this.deps.name, err: errorMessage(e) }, 'lease acquisition failing, retrying');
      this.failingLogged = true;
      return;
    }
    if (!ok || this.stopped) {
      if (ok) await this.deps.lease.release(this.deps.name, this.deps.owner).catch(() => undefined);
      return;
    }
    this.holdingLease = true;
    this.extend(sentAt);
    this.deps.log.info({ lease: this.deps.name, owner: this.deps.owner }, 'lease acquired, starting');
    this.deps.onChange?.(true);
    try {
      await this.deps.task.start();
      this.running = true;
    } catch (e) {
      this.running = true; // stop() must still run its cleanup
      this.deps.log.error({ lease: this.deps.name, err: errorMessage(e) }, 'task failed to start under its lease');
    }
    // The watchdog may have fired while the task was starting.
    if (!this.holdingLease) await this.stopTask();
  }

  private async renew(): Promise<void> {
    const sentAt = this.clock.now();
    try {
      const ok = await this.deps.lease.renew(this.deps.name, this.deps.owner, this.ttl);
      if (!this.holdingLease) return;
      if (ok) {
        this.extend(sentAt);
        return;
      }
      await this.lose('lease taken over by another node');
    } catch (e) {
      if (this.clock.now() >= this.deadline - this.margin()) await this.lose(`lease could not be renewed: ${errorMessage(e)}`);
    }
  }

  private margin(): number {
    return Math.min(1000, this.ttl / 10);
  }

  private extend(sentAt: number): void {
    this.deadline = sentAt + this.ttl;
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    // Fires even when a renewal hangs: never run past the moment the lease may have expired.
    // Not serialized: a hung renewal must not hold the stop back.
    this.watchdog = setTimeout(() => void this.lose('lease expired before it could be renewed'), Math.max(0, this.deadline - this.margin() - this.clock.now()));
    this.watchdog.unref?.();
  }

  private async lose(why: string): Promise<void> {
    if (!this.holdingLease) return;
    this.holdingLease = false;
    if (this.watchdog !== undefined) clearTimeout(this.watchdog);
    this.watchdog = undefined;
    this.deps.log.warn({ lease: this.deps.name, owner: this.deps.owner }, `${why}: stopping at once`);
    this.deps.onChange?.(false);
    await this.stopTask();
  }

  private async stopTask(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await this.deps.task.stop().catch((e: unknown) => this.deps.log.error({ lease: this.deps.name, err: errorMessage(e) }, 'task stop failed'));
  }

  /** Stops the task and releases the lease so another node takes over at once (SIGTERM). */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.tickTimer !== undefined) clearTimeout(this.tickTimer);
    this.tickTimer = undefined;
    await this.serial(async () => {
      if (this.watchdog !== undefined) clearTimeout(this.watchdog);
      this.watchdog = undefined;
      await this.stopTask();
      if (this.holdingLease) {
        this.holdingLease = false;
        this.deps.onChange?.(false);
        await this.deps.lease.release(this.deps.name, this.deps.owner).catch((e: unknown) =>
          this.deps.log.warn({ lease: this.deps.name, err: errorMessage(e) }, 'lease release failed; it expires by itself'),
        );
      }
    });
  }
}
