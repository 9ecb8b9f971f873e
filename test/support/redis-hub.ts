/**
 * A hub node in this process on a Redis pipeline (docs/architecture.md "Two modes"), for the tests and
 * benchmarks that run two or more nodes on one Redis: the team configuration with the demo connector
 * (or `config`), the test keys, the pipeline's own connector lease. BullMQ timings (`lockDurationMs`,
 * `stalledIntervalMs`) and `leaseTtlMs` are the hub's defaults unless given.
 */
import { redisPipeline, type RedisPipeline } from '../../core/pipeline/redis/index.ts';
import { systemClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import type { HubConfigInput } from '../../core/config/schema.ts';
import { TEAM_ENV, teamConfig, testHub, type TestHub } from './hub.ts';
import { redisUrl } from './redis-url.ts';

export const DEMO_CONNECTOR = { connectors: [{ id: 'demo', kind: 'demo', interval: 3600, perTick: 1 }] };

export type RedisHubNode = TestHub & { pipeline: RedisPipeline };

export async function redisHubNode(o: {
  prefix: string;
  nodeId: string;
  /** Default: the run's private Redis (redisUrl()). */
  url?: string;
  config?: HubConfigInput;
  env?: NodeJS.ProcessEnv;
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  leaseTtlMs?: number;
}): Promise<RedisHubNode> {
  const pipeline = await redisPipeline({
    url: o.url ?? redisUrl(),
    prefix: o.prefix,
    log: silentLogger(),
    nodeId: o.nodeId,
    ...(o.lockDurationMs !== undefined ? { lockDurationMs: o.lockDurationMs } : {}),
    ...(o.stalledIntervalMs !== undefined ? { stalledIntervalMs: o.stalledIntervalMs } : {}),
  });
  const t = await testHub({
    config: o.config ?? teamConfig(DEMO_CONNECTOR),
    env: o.env ?? TEAM_ENV,
    clock: systemClock,
    pipeline,
    lease: pipeline.lease,
    nodeId: o.nodeId,
    ...(o.leaseTtlMs !== undefined ? { leaseTtlMs: o.leaseTtlMs } : {}),
  });
  return Object.assign(t, { pipeline });
}
