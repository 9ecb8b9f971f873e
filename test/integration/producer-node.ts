/**
 * A hub node that only accepts signals (test/integration/node-kill.test.ts): it enqueues one batch
 * after another and prints `acked V` once the batch with version V is in Redis (what the API's 202
 * waits for). The test SIGKILLs it at some point.
 */
import { redisPipeline } from '../../core/pipeline/redis/index.ts';
import { silentLogger } from '../../core/util/logger.ts';

const p = await redisPipeline({ url: process.env.PH_REDIS_URL!, prefix: process.env.PH_PREFIX!, log: silentLogger(), nodeId: `producer-${process.pid}` });
for (let v = 1; ; v++) {
  const batch = Array.from({ length: 20 }, (_, i) => ({
    person: `k${i}`,
    source: 'api',
    endpoint: 'x',
    category: 'user' as const,
    expireType: 'user' as const,
    availability: v % 2 === 0 ? 6500 : 3500,
    sourceVersion: v,
  }));
  await p.queue.enqueue(batch);
  process.stdout.write(`acked ${v}\n`);
}
