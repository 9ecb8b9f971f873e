import { redisPipeline } from '../../core/pipeline/redis/index.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { freshPrefix, redisUrl } from '../support/redis-url.ts';
import { pipelineContract } from './pipeline-contract.ts';

pipelineContract('redis', async () =>
  redisPipeline({ url: redisUrl(), prefix: freshPrefix('contract'), log: silentLogger(), retryDelayMs: 50, boundaries: { pollMs: 100 } }),
);
