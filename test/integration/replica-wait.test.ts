import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisPipeline } from '../../core/pipeline/redis/index.ts';
import type { Signal } from '../../core/model/signal.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { startRedis, type RedisPeer } from '../support/peers/redis.ts';

const batch = (k: number): Signal[] =>
  Array.from({ length: 1000 }, (_, i) => ({ person: `p${i}`, source: 'src', endpoint: 'ep', category: 'user', expireType: 'user', availability: 3500, sourceVersion: k }) as Signal);

describe('accepted batches and the replica (redis.minReplicas, Redis WAIT)', () => {
  let primary: RedisPeer;
  let replica: RedisPeer;
  let onReplica: Redis;
  beforeAll(async () => {
    primary = await startRedis();
    // DEBUG SLEEP (allowed from loopback) stands for a replica that lags.
    replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(primary.port), '--enable-debug-command', 'local'] });
    onReplica = new Redis(replica.url);
    const deadline = Date.now() + 15_000;
    while (!(await onReplica.info('replication')).includes('master_link_status:up')) {
      if (Date.now() > deadline) throw new Error('the replica did not sync');
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  afterAll(async () => {
    onReplica?.disconnect();
    await replica?.stop();
    await primary?.stop();
  });

  it('an enqueue is not answered while the replica cannot hold it: a replica asleep holds it back', async () => {
    const p = await redisPipeline({ url: primary.url, prefix: 'rs', log: silentLogger(), minReplicas: 1, replicaWaitMs: 10_000 });
    const sleeper = new Redis(replica.url);
    try {
      let awake = false;
      // The reply comes when the replica wakes, before it reads what the primary sent meanwhile.
      const slept = sleeper.call('DEBUG', 'SLEEP', '0.5').then(() => void (awake = true));
      await new Promise((r) => setTimeout(r, 100));
      const answeredAwake: boolean[] = [];
      await Promise.all([0, 1, 2].map((k) => p.queue.enqueue(batch(k)).then(() => void answeredAwake.push(awake))));
      await slept;
      expect(answeredAwake).toEqual([true, true, true]);
      expect(await onReplica.llen('rs:bull:signals:wait')).toBe(3);
    } finally {
      sleeper.disconnect();
      await p.close();
    }
  });

  it('every enqueue resolves only once the replica holds its batch, while concurrent writes share WAITs', async () => {
    const p = await redisPipeline({ url: primary.url, prefix: 'rw', log: silentLogger(), minReplicas: 1 });
    try {
      // 40 enqueues of 1 000 signals (one job each), started over several turns of the event loop
      // so that they become several writes, some while a WAIT is in flight.
      const shortfalls: number[] = [];
      let resolved = 0;
      const all: Promise<void>[] = [];
      for (let k = 0; k < 40; k++) {
        all.push(
          p.queue.enqueue(batch(k)).then(async () => {
            resolved++;
            const mustHold = resolved;
            // Jobs waiting on the replica (no worker runs): at least one per enqueue resolved so far.
            const held = await onReplica.llen('rw:bull:signals:wait');
            if (held < mustHold) shortfalls.push(mustHold - held);
          }),
        );
        if (k % 4 === 3) await new Promise((r) => setImmediate(r));
      }
      await Promise.all(all);
      expect(shortfalls).toEqual([]);
      expect(await onReplica.llen('rw:bull:signals:wait')).toBe(40);
      expect(p.queue.waitsSent).toBeGreaterThanOrEqual(1);
      expect(p.queue.waitsSent).toBeLessThanOrEqual(40);
    } finally {
      await p.close();
    }
  });
});
