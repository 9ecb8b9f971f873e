import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisPipeline } from '../../core/pipeline/redis/index.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { startRedis, type RedisPeer } from '../support/peers/redis.ts';

describe('Redis with an eviction policy', () => {
  let peer: RedisPeer;
  beforeAll(async () => {
    peer = await startRedis({ args: ['--maxmemory-policy', 'allkeys-lru'] });
  });
  afterAll(async () => {
    await peer?.stop();
  });

  it('is refused at start, naming the setting', async () => {
    const err = await redisPipeline({ url: peer.url, prefix: 'evict', log: silentLogger(), connectTimeoutMs: 5000 }).then(
      (p) => p.close().then(() => undefined),
      (e: unknown) => e,
    );
    expect(err).toMatchObject({ code: 'HUB_ERR_REDIS_EVICTION', kind: 'permanent' });
    expect((err as Error).message).toMatch(/maxmemory-policy is allkeys-lru.*noeviction/);
  });
});
