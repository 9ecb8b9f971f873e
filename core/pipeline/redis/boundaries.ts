import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../../util/logger.ts';
import type { BoundaryScheduler } from '../ports.ts';
import type { Keys } from './keys.ts';
import { execOrThrow } from './store.ts';

export interface RedisBoundaryOptions {
  /** Longest sleep of a node's poller (default 500 ms): bounds how late a boundary another node set fires. */
  pollMs?: number;
  /** People claimed per round (default 2000). */
  claimLimit?: number;
  /** A claim not finished within this time (its node died) is due again (default 30 s). */
  claimLeaseMs?: number;
  /**
   * Claims handled at once (default 3): while one round's people are recomputed, the next round is
   * claimed and read, so Redis and this node work at the same time through a storm.
   */
  inFlight?: number;
}

/**
 * Time boundaries of Redis mode: a sorted set person -> instant (ZADD replaces, so a reschedule
 * supersedes). Every node polls only the due head of the set with an atomic claim script
 * (scripts.ts CLAIM), so each due person is handled by exactly one node and nothing scans all people.
 * A claimed round is one list of its people and one entry of the rounds (with the claim's
 * deadline), released with one command when the round is done: a round that its node never
 * releases (the node died) is claimed again whole after the deadline.
 * The poller sleeps until the earliest boundary, at most `pollMs`, and is woken early when this node
 * schedules something sooner.
 */
export class RedisBoundaries implements BoundaryScheduler {
  private onDue: ((people: readonly string[], at: number) => Promise<void>) | undefined;
  private closed = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private wakeAt = Infinity;
  private failing = false;
  /** Claims made so far: names each round's list key uniquely (with the node id and a token of this instance, for a node id kept across restarts). */
  private claims = 0;
  private readonly token = randomBytes(4).toString('hex');

  constructor(private readonly deps: { redis: Redis; keys: Keys; log: Logger; nodeId: string }, private readonly opts: RedisBoundaryOptions = {}) {}

  async schedule(entries: readonly { person: string; at: number | undefined }[]): Promise<void> {
    if (entries.length === 0) return;
    const { redis, keys } = this.deps;
    const pipe = redis.pipeline();
    let earliest = Infinity;
    const add: (string | number)[] = [];
    const remove: string[] = [];
    for (const { person, at } of entries) {
      if (at === undefined) remove.push(person);
      else {
        add.push(at, person);
        earliest = Math.min(earliest, at);
      }
    }
    // One command each, whatever the number of people (ZADD and ZREM take many members).
    for (let i = 0; i < add.length; i += 2000) pipe.zadd(keys.boundaries, ...add.slice(i, i + 2000));
    for (let i = 0; i < remove.length; i += 1000) pipe.zrem(keys.boundaries, ...remove.slice(i, i + 1000));
    await execOrThrow(pipe);
    if (earliest < this.wakeAt) this.wake?.();
  }

  start(onDue: (people: readonly string[], at: number) => Promise<void>): void {
    this.onDue = onDue;
    this.loop ??= this.run();
  }

  private async run(): Promise<void> {
    const pollMs = this.opts.pollMs ?? 500;
    const limit = this.opts.claimLimit ?? 2000;
    const lease = this.opts.claimLeaseMs ?? 30_000;
    const maxInFlight = Math.max(1, this.opts.inFlight ?? 3);
    const { redis, keys, log } = this.deps;
    const inFlight = new Set<Promise<void>>();
    while (!this.closed) {
      let sleep = pollMs;
      try {
        // A fresh list key per claim: it becomes the round's record if anything is due.
        const roundKey = keys.boundaryRound(`${this.deps.nodeId}:${this.token}:${++this.claims}`);
        const [nowText, people, next] = await redis.phClaim(4, keys.boundaries, keys.rounds, roundKey, keys.claimed, limit, lease);
        const now = Number(nowText);
        if (this.failing) log.info('boundary poller recovered');
        this.failing = false;
        if (people.length > 0 && this.onDue !== undefined) {
          const round = this.handle(people, now, roundKey).finally(() => inFlight.delete(round));
          inFlight.add(round);
        }
        if (people.length >= limit) sleep = 0;
        else if (next !== null && next !== undefined) sleep = Math.max(0, Math.min(pollMs, Number(next) - now));
      } catch (e) {
        // Redis away: the claims stay and come due again after their lease.
        this.fail(e);
      }
      // Each claimed person is in one round only (the claim moves them out of the due set), so
      // rounds may finish in any order; at most `inFlight` at once.
      while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
      if (sleep > 0 && !this.closed) {
        // Nothing more due now: let the rounds finish before sleeping, so a sleep is idle time.
        await Promise.all(inFlight);
        await this.sleep(sleep);
      }
    }
    await Promise.all(inFlight);
  }

  /** One claimed round: the manager recomputes, then the round is released (one command). Never rejects. */
  private async handle(people: readonly string[], now: number, roundKey: string): Promise<void> {
    try {
      await this.onDue!(people, now);
      await this.deps.redis.phRelease(2, this.deps.keys.rounds, roundKey);
    } catch (e) {
      // The manager failed or Redis went away: the claims stay and come due again after their lease.
      this.fail(e);
    }
  }

  private fail(e: unknown): void {
    if (!this.failing) this.deps.log.warn({ err: e }, 'boundary poller failing, retrying');
    this.failing = true;
  }

  private sleep(ms: number): Promise<void> {
    this.wakeAt = Date.now() + ms;
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.wake = undefined;
        this.wakeAt = Infinity;
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wake = done;
    });
  }

  /** The pending instant of a person (tests). */
  async pendingFor(person: string): Promise<number | undefined> {
    const s = await this.deps.redis.zscore(this.deps.keys.boundaries, person);
    return s === null ? undefined : Number(s);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    await this.loop;
  }
}
