import { Redis, type RedisOptions, type Result } from 'ioredis';
import { HubError } from '../../errors.ts';
import { CLAIM, RELEASE, COMMIT, APPLY, READ_REGISTERS, CENSUS, TIMELINE_APPEND, LEASE_ACQUIRE, LEASE_RELEASE, LEASE_RENEW } from './scripts.ts';

declare module 'ioredis' {
  interface RedisCommander<Context> {
    phApply(numKeys: number, keys: readonly string[], args: readonly string[]): Result<number[], Context>;
    phCommit(numKeys: number, ...keysAndArgs: (string | number)[]): Result<string[], Context>;
    phRead(numKeys: number, ...keys: string[]): Result<(string | number)[], Context>;
    phCensus(numKeys: number, keys: readonly string[], thresholds: readonly number[]): Result<(number | string)[][], Context>;
    phTimeline(numKeys: number, keys: readonly string[], args: readonly (string | number)[]): Result<number, Context>;
    phClaim(numKeys: number, ...keysAndArgs: (string | number)[]): Result<[string, string[], string | null], Context>;
    phRelease(numKeys: number, rounds: string, round: string): Result<number, Context>;
    phLeaseAcquire(key: string, owner: string, ttlMs: number): Result<number, Context>;
    phLeaseRenew(key: string, owner: string, ttlMs: number): Result<number, Context>;
    phLeaseRelease(key: string, owner: string): Result<number, Context>;
  }
}

export type ConnectionRole = 'store' | 'queue' | 'worker' | 'sub' | 'lease';

/** Where Redis is: one server by URL, or the primary that Redis Sentinel names. */
export type RedisTarget =
  | { readonly url: string }
  | {
      /** `host:port` of each sentinel. */
      readonly sentinels: readonly string[];
      /** The monitored primary's name (`sentinel monitor <name> ...`). */
      readonly name: string;
      /** Password and database of the data servers, from a `redis://` URL when one is given too. */
      readonly url?: string;
    };

function sentinelOptions(t: Extract<RedisTarget, { sentinels: readonly string[] }>): RedisOptions {
  const sentinels = t.sentinels.map((s) => {
    const i = s.lastIndexOf(':');
    return { host: i > 0 ? s.slice(0, i) : s, port: i > 0 ? Number(s.slice(i + 1)) : 26379 };
  });
  const o: RedisOptions = { sentinels, name: t.name, role: 'master', sentinelRetryStrategy: (times) => Math.min(100 * 2 ** Math.min(times, 5), 2000) };
  if (t.url !== undefined && t.url !== '') {
    const u = new URL(t.url);
    if (u.password !== '') o.password = decodeURIComponent(u.password);
    if (u.username !== '') o.username = decodeURIComponent(u.username);
    const db = Number(u.pathname.slice(1));
    if (Number.isInteger(db) && db > 0) o.db = db;
  }
  return o;
}

/** The Redis errors that say "not now" rather than "this batch is bad": retried, never dead-lettered. */
export function redisErrorKind(e: unknown): 'transient' | undefined {
  if (!(e instanceof Error)) return undefined;
  if (e.name === 'MaxRetriesPerRequestError') return 'transient';
  return /Connection is closed|ECONNREFUSED|ECONNRESET|EPIPE|ETIMEDOUT|READONLY|LOADING|MASTERDOWN|Stream isn't writeable|enableOfflineQueue|Redis is unavailable|Command timed out/i.test(e.message) ? 'transient' : undefined;
}

/**
 * One ioredis connection per role. All reconnect by themselves with a capped backoff (ioredis
 * `retryStrategy`); they differ in what a command does while Redis is away:
 * - queue and lease: `enableOfflineQueue: false`, so an enqueue or a lease renewal fails at once
 *   and the API can answer 503 + Retry-After instead of holding what it cannot keep;
 * - worker: `maxRetriesPerRequest: null`, as BullMQ requires for its blocking connection;
 * - store and sub: a few retries, so a blip does not fail a batch but an outage does.
 * Scripts are registered with defineCommand, which falls back from EVALSHA to EVAL after a
 * restart emptied the script cache.
 */
export function connect(target: RedisTarget, role: ConnectionRole, nodeId: string): Redis {
  const opts: RedisOptions = {
    ...('sentinels' in target ? sentinelOptions(target) : {}),
    connectionName: `presence-hub:${nodeId}:${role}`,
    retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 6), 1000),
    lazyConnect: false,
    enableReadyCheck: true,
  };
  if (role === 'queue' || role === 'lease') {
    opts.enableOfflineQueue = false;
    opts.maxRetriesPerRequest = 1;
  } else if (role === 'worker') {
    opts.maxRetriesPerRequest = null;
  } else {
    opts.maxRetriesPerRequest = 3;
  }
  // After a Sentinel failover the old primary (if it comes back as a replica) answers writes with
  // READONLY: reconnect so that the client asks the sentinels for the new primary.
  opts.reconnectOnError = (err) => (/READONLY/.test(err.message) ? 2 : false);
  const r = 'sentinels' in target ? new Redis(opts) : new Redis(target.url, opts);
  r.defineCommand('phApply', { lua: APPLY });
  r.defineCommand('phCommit', { lua: COMMIT });
  r.defineCommand('phClaim', { lua: CLAIM });
  r.defineCommand('phRelease', { lua: RELEASE });
  r.defineCommand('phRead', { lua: READ_REGISTERS });
  r.defineCommand('phCensus', { lua: CENSUS });
  r.defineCommand('phTimeline', { lua: TIMELINE_APPEND });
  r.defineCommand('phLeaseAcquire', { lua: LEASE_ACQUIRE, numberOfKeys: 1 });
  r.defineCommand('phLeaseRenew', { lua: LEASE_RENEW, numberOfKeys: 1 });
  r.defineCommand('phLeaseRelease', { lua: LEASE_RELEASE, numberOfKeys: 1 });
  return r;
}

/** Resolves once the connection is ready, or throws HUB_ERR_UNAVAILABLE after `timeoutMs`. */
export async function whenReady(r: Redis, timeoutMs: number): Promise<void> {
  if (r.status === 'ready') return;
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => {
      r.off('ready', onReady);
      reject(unavailable(`Redis not reachable within ${timeoutMs} ms`));
    }, timeoutMs);
    const onReady = (): void => {
      clearTimeout(t);
      resolve();
    };
    r.once('ready', onReady);
  });
}

export const RETRY_AFTER_MS = 2000;

/** The error the API turns into 503 + Retry-After (HUB_ERR_UNAVAILABLE, transient). */
export function unavailable(message: string, cause?: unknown): HubError {
  return new HubError('HUB_ERR_UNAVAILABLE', message, { kind: 'transient', status: 503, retryAfterMs: RETRY_AFTER_MS, cause });
}

/**
 * BullMQ's production guide: with any other eviction policy Redis may drop queued jobs (accepted
 * signals) under memory pressure. Read from INFO, which managed services that disable CONFIG
 * still answer.
 */
export async function checkEvictionPolicy(r: Redis): Promise<void> {
  const info = await r.info('memory');
  const policy = /maxmemory_policy:(\S+)/.exec(info)?.[1];
  if (policy !== undefined && policy !== 'noeviction') {
    throw new HubError(
      'HUB_ERR_REDIS_EVICTION',
      `Redis maxmemory-policy is ${policy}: the hub refuses to run unless it is noeviction, because an evicting Redis drops accepted signals (set maxmemory-policy noeviction in redis.conf or with CONFIG SET)`,
      { kind: 'permanent' },
    );
  }
}

/** Closes a connection politely, or drops it when Redis is not there to answer QUIT. */
export async function closeConnection(r: Redis): Promise<void> {
  if (r.status === 'end') return;
  if (r.status === 'ready') {
    await r.quit().catch(() => r.disconnect());
  } else {
    r.disconnect();
  }
}
