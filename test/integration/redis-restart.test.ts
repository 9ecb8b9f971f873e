/**
 * Redis going away and coming back (issue 3 point 7): the pipeline reconnects by itself, ready() is
 * false meanwhile, enqueue fails at once with HUB_ERR_UNAVAILABLE (the API answers 503 +
 * Retry-After), and signals flow again afterwards. Uses its own private redis-server, since it
 * restarts it.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PresenceManager } from '../../core/manager/presence-manager.ts';
import { redisPipeline, type RedisPipeline } from '../../core/pipeline/redis/index.ts';
import { DEFAULT_RULES } from '../../core/rules/rules-config.ts';
import { HubError } from '../../core/errors.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { sig } from '../contract/pipeline-contract.ts';
import { until } from '../support/wait.ts';
import { startRedis, type RedisPeer } from '../support/peers/redis.ts';

describe('Redis restart', () => {
  let redis: RedisPeer | undefined;
  let p: RedisPipeline | undefined;
  afterAll(async () => {
    await p?.close();
    await redis?.stop();
  });

  it('reconnects by itself; not ready and fail-fast enqueue meanwhile', async () => {
    redis = await startRedis();
    p = await redisPipeline({ url: redis.url, prefix: 'restart', log: silentLogger(), retryDelayMs: 50, stalledIntervalMs: 1000, lockDurationMs: 2000 });
    new PresenceManager({ pipeline: p, rules: DEFAULT_RULES, log: silentLogger() }).start();
    expect(p.ready()).toBe(true);
    await p.queue.enqueue([sig({ person: 'alice', availability: 6500 })]);
    await until(async () => (await p!.store.getPresence(['alice'])).get('alice')?.class === 'busy', 'alice busy');

    await redis.kill();
    await until(() => p!.ready() === false, 'not ready', 5000);
    const t0 = Date.now();
    const err = await p.queue.enqueue([sig({ person: 'bob' })]).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - t0).toBeLessThan(500);
    expect(err).toBeInstanceOf(HubError);
    expect(err).toMatchObject({ code: 'HUB_ERR_UNAVAILABLE', kind: 'transient', status: 503 });
    expect((err as HubError).retryAfterMs).toBeGreaterThan(0);

    await redis.start();
    await until(() => p!.ready(), 'ready again', 10_000);
    // The data was lost with the server (no persistence here); the pipeline works again all the same.
    await p.queue.enqueue([sig({ person: 'bob', availability: 9500 })]);
    await until(async () => (await p!.store.getPresence(['bob'])).get('bob')?.class === 'dnd', 'bob processed after the restart', 15_000);
  }, 45_000);
});
