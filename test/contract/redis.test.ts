import { redisPipeline } from '../../core/pipeline/redis/index.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { freshPrefix, redisUrl } from '../support/redis-url.ts';
import { pipelineContract } from './pipeline-contract.ts';

let prefix = '';
const open = () => redisPipeline({ url: redisUrl(), prefix, log: silentLogger(), retryDelayMs: 50, boundaries: { pollMs: 100 } });
pipelineContract(
  'redis',
  async () => {
    prefix = freshPrefix('contract');
    return open();
  },
  // Another node on the same server and prefix.
  { sibling: open },
);
