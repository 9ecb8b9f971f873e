/**
 * Connector leases on a real Redis (docs/architecture.md "Two modes"): one holder at a time, takeover within
 * the TTL when the holder goes away, the holder stops at once when its lease is taken.
 */
import type { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { LeasedRunner } from '../../core/connector/leased-runner.ts';
import { closeConnection, connect, whenReady } from '../../core/pipeline/redis/connection.ts';
import { keys } from '../../core/pipeline/redis/keys.ts';
import { RedisLease } from '../../core/pipeline/redis/lease.ts';
import { until } from '../support/wait.ts';
import { capturingLogger } from '../support/log-capture.ts';
import { freshPrefix, redisUrl } from '../support/redis-url.ts';

const TTL = 1500;

interface Run {
  node: string;
  start: number;
  end?: number;
}

/** Two nodes' runners for one connector, recording every run of the task. */
async function nodes(prefix: string, runs: Run[]) {
  const conns: Redis[] = [];
  const make = async (node: string) => {
    const redis = connect({ url: redisUrl() }, 'lease', node);
    redis.on('error', () => undefined);
    conns.push(redis);
    await whenReady(redis, 5000);
    const lease = new RedisLease({ redis, keys: keys(prefix) });
    const { log, lines } = capturingLogger('warn');
    const runner = new LeasedRunner({
      lease,
      name: 'pbx-east',
      owner: node,
      ttlMs: TTL,
      log,
      task: {
        async start() {
          runs.push({ node, start: Date.now() });
        },
        async stop() {
          const r = [...runs].reverse().find((x) => x.node === node && x.end === undefined);
          if (r !== undefined) r.end = Date.now();
        },
      },
    });
    return { node, redis, lease, runner, lines };
  };
  const a = await make('node-a');
  const b = await make('node-b');
  return { a, b, close: () => Promise.all(conns.map((c) => closeConnection(c))) };
}

function noOverlap(runs: Run[]): void {
  const sorted = [...runs].sort((x, y) => x.start - y.start);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1]!;
    expect(prev.end, `${prev.node} still running when ${sorted[i]!.node} started`).toBeDefined();
    expect(prev.end!).toBeLessThanOrEqual(sorted[i]!.start);
  }
}

describe('connector leases on Redis', () => {
  const cleanups: (() => Promise<unknown>)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0)) await c();
  });
  /** Both nodes started, A first: A holds the lease, B waits; both are stopped after the test. */
  async function aHoldsBWaits(runs: Run[]) {
    const n = await nodes(freshPrefix('lease'), runs);
    cleanups.push(n.close, () => n.a.runner.stop(), () => n.b.runner.stop());
    n.a.runner.start();
    await until(() => n.a.runner.holding, 'a holds');
    n.b.runner.start();
    return n;
  }

  it('runs on one node only; a clean stop hands over at once', async () => {
    const runs: Run[] = [];
    const { a, b } = await aHoldsBWaits(runs);
    await new Promise((r) => setTimeout(r, TTL * 2));
    expect(runs.map((r) => r.node)).toEqual(['node-a']);
    expect(b.runner.holding).toBe(false);
    const stoppedAt = Date.now();
    await a.runner.stop();
    await until(() => b.runner.holding, 'b takes over', TTL * 2);
    expect(Date.now() - stoppedAt).toBeLessThan(TTL / 3 + 1000);
    expect(runs.map((r) => r.node)).toEqual(['node-a', 'node-b']);
    noOverlap(runs);
  });

  it('when the holder dies another node takes over within the TTL, and the dead one has stopped first', async () => {
    const runs: Run[] = [];
    const { a, b } = await aHoldsBWaits(runs);
    // Node A loses Redis for good (crash, partition): it can renew no more.
    const diedAt = Date.now();
    a.redis.disconnect();
    await until(() => b.runner.holding, 'b takes over', TTL * 3);
    // The lease expires at most TTL after A's last renewal; B retries every TTL/3.
    expect(Date.now() - diedAt).toBeLessThan(TTL + TTL / 3 + 1000);
    expect(a.runner.holding).toBe(false);
    noOverlap(runs);
  });

  it('a holder whose lease was taken stops at its next renewal', async () => {
    const runs: Run[] = [];
    const prefix = freshPrefix('lease');
    const { a, close } = await nodes(prefix, runs);
    cleanups.push(close, () => a.runner.stop());
    a.runner.start();
    await until(() => a.runner.holding, 'a holds');
    await a.redis.set(keys(prefix).lease('pbx-east'), 'node-z', 'PX', 10_000);
    const takenAt = Date.now();
    await until(() => !a.runner.holding, 'a stops', TTL);
    expect(Date.now() - takenAt).toBeLessThan(TTL / 3 + 700);
    expect(runs[0]?.end).toBeDefined();
    expect(a.lines.filter((l) => l.raw.includes('lease taken over by another node')).length).toBe(1);
    // It never deletes or extends the new owner's lease.
    await a.runner.stop();
    expect(await a.lease.holder('pbx-east')).toBe('node-z');
  });
});
