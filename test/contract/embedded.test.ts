import { embeddedPipeline } from '../../core/pipeline/embedded/index.ts';
import { systemClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { pipelineContract } from './pipeline-contract.ts';

pipelineContract('embedded', async () => embeddedPipeline({ clock: systemClock, log: silentLogger() }));
