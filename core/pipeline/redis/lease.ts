import type { Redis } from 'ioredis';
import type { LeasePort } from '../../connector/lease.ts';
import type { Keys } from './keys.ts';

/**
 * Connector leases in Redis: SET NX PX to take, owner-checked Lua to renew and release
 * (scripts.ts), so a node that lost its lease can never extend or delete its successor's. The
 * connection has no offline queue: while Redis is away, renewals fail at once and the
 * LeasedRunner stops its connector before the lease could have passed to another node.
 */
export class RedisLease implements LeasePort {
  constructor(private readonly deps: { redis: Redis; keys: Keys }) {}

  async acquire(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.deps.redis.phLeaseAcquire(this.deps.keys.lease(name), owner, Math.ceil(ttlMs))) === 1;
  }

  async renew(name: string, owner: string, ttlMs: number): Promise<boolean> {
    return (await this.deps.redis.phLeaseRenew(this.deps.keys.lease(name), owner, Math.ceil(ttlMs))) === 1;
  }

  async release(name: string, owner: string): Promise<void> {
    await this.deps.redis.phLeaseRelease(this.deps.keys.lease(name), owner);
  }

  /** The current holder (admin, tests). */
  async holder(name: string): Promise<string | undefined> {
    return (await this.deps.redis.get(this.deps.keys.lease(name))) ?? undefined;
  }
}
