import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from '../../util/logger.ts';
import type { Pipeline } from '../ports.ts';
import { RedisBoundaries, type RedisBoundaryOptions } from './boundaries.ts';
import { RedisBus } from './bus.ts';
import { checkEvictionPolicy, closeConnection, connect, redisErrorKind, whenReady, type RedisTarget } from './connection.ts';
import { redisConnectorStore } from './connector-store.ts';
import { keys } from './keys.ts';
import { RedisLease } from './lease.ts';
import { RedisNotices } from './notices.ts';
import { BullSignalQueue, type BullQueueOptions } from './queue.ts';
import { RedisStore } from './store.ts';
import { redisTimelineStore } from './timeline-store.ts';

export interface RedisPipelineOptions extends BullQueueOptions {
  /** One server (`redis://...`). */
  url?: string;
  /** Redis Sentinel: `host:port` of each sentinel and the primary's name; `url` then only gives password and database. */
  sentinels?: readonly string[];
  name?: string;
  /** Key prefix shared by all nodes of one hub (default `ph`). */
  prefix?: string;
  log: Logger;
  /** Unique per process; names this node's connections and its leases. */
  nodeId?: string;
  /** How long to wait for Redis at start before failing with HUB_ERR_UNAVAILABLE (default 10 s). */
  connectTimeoutMs?: number;
  boundaries?: RedisBoundaryOptions;
}

export interface RedisPipeline extends Pipeline {
  readonly mode: 'redis';
  readonly nodeId: string;
  readonly store: RedisStore;
  readonly queue: BullSignalQueue;
  readonly boundaries: RedisBoundaries;
  readonly bus: RedisBus;
  /** Connector leases on the same Redis and prefix. */
  readonly lease: RedisLease;
}

function redisTarget(opts: RedisPipelineOptions): RedisTarget {
  if (opts.sentinels !== undefined && opts.sentinels.length > 0) {
    if (opts.name === undefined || opts.name === '') throw new Error('redis.sentinels needs redis.name, the name of the monitored primary');
    return { sentinels: opts.sentinels, name: opts.name, ...(opts.url !== undefined ? { url: opts.url } : {}) };
  }
  if (opts.url === undefined || opts.url === '') throw new Error('Redis mode needs redis.url or redis.sentinels');
  return { url: opts.url };
}

export function defaultNodeId(): string {
  return `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
}

/**
 * Redis mode: BullMQ queue, Redis store, sorted-set boundaries, pub/sub change bus.
 *
 * Why any number of workers on any number of nodes converge (docs/architecture.md invariant 1), without
 * per-person serialization of the queue:
 * - every applied signal bumps the person's register revision `rev` in the same atomic script that
 *   writes the register, so a revision names exactly one content of the registers;
 * - a worker recomputes only after its own apply, from registers read afterwards, and commits with
 *   the basis (rev it read, Redis time it evaluated at); the commit script refuses any basis older
 *   than the stored one;
 * - once inputs stop, the last apply of a person produced the final rev R. The worker that did it
 *   reads rev R (nothing applies after it), so a commit with basis R is attempted, and after it
 *   only commits with basis R and a later instant can win: all of them are aggregate(final
 *   registers). Commits from older revisions are refused whatever order workers finish in.
 * - a worker that dies between apply and commit leaves its job to BullMQ's stalled-job recovery;
 *   the re-run finds its signals duplicate, so the queue marks it redelivered and the manager
 *   recomputes every person of the batch.
 * Serializing per person (one partition queue per hash, or deduplication keys) would also work but
 * caps parallelism and adds a job per person; the compare-and-set needs nothing from the queue.
 */
export async function redisPipeline(opts: RedisPipelineOptions): Promise<RedisPipeline> {
  const nodeId = opts.nodeId ?? defaultNodeId();
  const k = keys(opts.prefix ?? 'ph');
  const log = opts.log.child({ component: 'redis-pipeline', node: nodeId });
  const target = redisTarget(opts);
  const conns: Redis[] = [];
  const open = (role: Parameters<typeof connect>[1]): Redis => {
    const r = connect(target, role, nodeId);
    // Without a listener ioredis prints every failed reconnection; state changes are logged below.
    r.on('error', () => undefined);
    conns.push(r);
    return r;
  };
  const cmd = open('store');
  const qconn = open('queue');
  const sub = open('sub');
  const leaseConn = open('lease');
  try {
    await Promise.all([cmd, qconn, sub, leaseConn].map((c) => whenReady(c, opts.connectTimeoutMs ?? 10_000)));
    await checkEvictionPolicy(cmd);
  } catch (e) {
    for (const c of conns) c.disconnect();
    throw e;
  }

  let up = true;
  const ready = (): boolean => cmd.status === 'ready' && qconn.status === 'ready';
  const watch = (): void => {
    const now = ready();
    if (now === up) return;
    up = now;
    if (now) log.info('Redis reachable again: ready');
    else log.error('Redis unreachable: not ready, refusing new signals until it is back');
  };
  for (const c of [cmd, qconn]) for (const ev of ['ready', 'close', 'end', 'reconnecting']) c.on(ev, watch);

  const store = new RedisStore({ redis: cmd, keys: k });
  const queue = new BullSignalQueue(
    {
      queueConnection: qconn,
      workerConnection: () => open('worker'),
      bullPrefix: k.bullPrefix,
      log,
      ready,
      kindOf: (e) => (ready() ? redisErrorKind(e) : 'transient'),
      // With Sentinel, an accepted batch must be on a replica too, or a failover could lose it.
      replicas: opts.sentinels !== undefined && opts.sentinels.length > 0 ? (opts.minReplicas ?? 1) : (opts.minReplicas ?? 0),
    },
    opts,
  );
  const boundaries = new RedisBoundaries({ redis: cmd, keys: k, log, nodeId }, opts.boundaries);
  const bus = new RedisBus({ redis: cmd, sub, keys: k, log });
  await bus.open();
  const notices = new RedisNotices({ redis: cmd, sub, channel: k.notice, log });
  await notices.open();
  const lease = new RedisLease({ redis: leaseConn, keys: k });

  let closing: Promise<void> | undefined;
  return {
    mode: 'redis',
    nodeId,
    store,
    queue,
    boundaries,
    bus,
    lease,
    connectorStore: (id) => redisConnectorStore({ redis: cmd, keys: k }, id),
    notices,
    durable: true,
    timeline: redisTimelineStore({ redis: cmd, key: k.timeline }),
    ready,
    close() {
      closing ??= (async () => {
        await queue.close().catch((e: unknown) => log.warn({ err: e }, 'queue close failed'));
        await boundaries.close();
        await bus.close();
        await store.close();
        await Promise.all(conns.map((c) => closeConnection(c)));
      })();
      return closing;
    },
  };
}
