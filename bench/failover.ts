/**
 * Failover figures (docs/architecture.md invariant 8), on a private redis-server:
 * - failover.signals_ms_max / _p50: a node (its own process) SIGKILLed 200 ms after answering 202
 *   for a batch it holds mid-apply; the time from the kill until the other node serves the
 *   batch's result. 20 kills.
 * - failover.lease_ms_max / _p50: in the same 20 kills, the time until the other node runs the
 *   connector whose lease the dead node held.
 * - failover.redis_calls_per_s (and ..._bullmq_defaults): what the failover mechanism costs Redis
 *   on an idle cluster of two nodes with one connector, with the hub's defaults (2.5 s locks, 1 s
 *   stalled check, 3 s leases) and with BullMQ's defaults and the old 15 s lease.
 */
import { Redis } from 'ioredis';
import { killHoldingBatch, spawnNode } from '../test/support/hub-process.ts';
import { auth, TEAM_ENV } from '../test/support/hub.ts';
import { startRedis } from '../test/support/peers/redis.ts';
import { redisHubNode, type RedisHubNode } from '../test/support/redis-hub.ts';

type Figure = { name: string; value: number; unit: string };
const KILLS = 20;
const ADMIN = auth(TEAM_ENV.ADMIN_KEY);

async function until(cond: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function oneKill(url: string, round: number): Promise<{ signalsMs: number; leaseMs: number }> {
  const prefix = `bench-failover-${process.pid}-${round}`;
  const a = await spawnNode({ redisUrl: url, prefix, nodeId: `doomed-${round}`, holdMs: 120_000 });
  let b: RedisHubNode | undefined;
  try {
    await a.waitFor((l) => l.lease !== undefined, 'node A holding the connector');
    b = await redisHubNode({ url, prefix, nodeId: `survivor-${round}` });
    await b.pipeline.queue.pause();
    const availability = round % 2 === 0 ? 'dnd' : 'busy';
    const killedAt = await killHoldingBatch(a, availability, ADMIN);
    b.pipeline.queue.resume();
    let signalsMs = 0;
    let leaseMs = 0;
    const node = b;
    await Promise.all([
      until(async () => (await node.hub.presence(['carol']))[0]!.class === availability, 30_000, 'the batch on node B').then(() => (signalsMs = Date.now() - killedAt)),
      until(() => node.hub.supervisors.get('demo')?.health().state === 'running', 30_000, 'the lease on node B').then(() => (leaseMs = Date.now() - killedAt)),
    ]);
    return { signalsMs, leaseMs };
  } finally {
    await a.kill('SIGKILL');
    await b?.close();
  }
}

/** Redis commands per second of an idle two-node cluster with one connector. */
async function idleCost(url: string, o: { lockDurationMs?: number; stalledIntervalMs?: number; leaseTtlMs?: number }, tag: string): Promise<number> {
  const prefix = `bench-cost-${tag}-${process.pid}`;
  const nodes = [await redisHubNode({ url, prefix, nodeId: `${tag}-1`, ...o }), await redisHubNode({ url, prefix, nodeId: `${tag}-2`, ...o })];
  const admin = new Redis(url);
  try {
    await new Promise((r) => setTimeout(r, 2000));
    await admin.config('RESETSTAT');
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 15_000));
    const stats = await admin.info('commandstats');
    const calls = [...stats.matchAll(/^cmdstat_([a-z|]+):calls=(\d+)/gm)].filter(([, c]) => c !== 'info' && c !== 'config|resetstat').reduce((n, m) => n + Number(m[2]), 0);
    return calls / ((Date.now() - t0) / 1000);
  } finally {
    admin.disconnect();
    for (const n of nodes) await n.close();
  }
}

const pct = (xs: number[], p: number): number => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]!;

export async function run(): Promise<Figure[]> {
  const redis = await startRedis();
  try {
    const signals: number[] = [];
    const leases: number[] = [];
    for (let k = 0; k < KILLS; k++) {
      const r = await oneKill(redis.url, k);
      signals.push(r.signalsMs);
      leases.push(r.leaseMs);
    }
    const hub = await idleCost(redis.url, {}, 'hub');
    const old = await idleCost(redis.url, { lockDurationMs: 30_000, stalledIntervalMs: 30_000, leaseTtlMs: 15_000 }, 'old');
    return [
      { name: 'failover.signals_ms_max', value: Math.max(...signals), unit: `ms (${KILLS} SIGKILLs)` },
      { name: 'failover.signals_ms_p50', value: pct(signals, 50), unit: 'ms' },
      { name: 'failover.lease_ms_max', value: Math.max(...leases), unit: `ms (${KILLS} SIGKILLs)` },
      { name: 'failover.lease_ms_p50', value: pct(leases, 50), unit: 'ms' },
      { name: 'failover.redis_calls_per_s', value: hub, unit: 'calls/s (idle, 2 nodes, 1 connector)' },
      { name: 'failover.redis_calls_per_s_bullmq_defaults', value: old, unit: 'calls/s (30 s locks and checks, 15 s lease)' },
    ];
  } finally {
    await redis.stop();
  }
}
