import type { Clock } from '../../util/clock.ts';
import type { Logger } from '../../util/logger.ts';
import type { Pipeline } from '../ports.ts';
import { MemoryBoundaries } from './boundaries.ts';
import { MemoryBus } from './bus.ts';
import { MemoryConnectorStores } from './connector-store.ts';
import { FileConnectorStores } from './file-store.ts';
import { MemoryNotices } from './notices.ts';
import { MemoryQueue } from './queue.ts';
import { MemoryStore } from './store.ts';
import { MemoryTimelineStore } from './timeline-store.ts';

export interface EmbeddedPipeline extends Pipeline {
  readonly queue: MemoryQueue;
  readonly boundaries: MemoryBoundaries;
}

/** `dataDir`: keep the connector stores (and with them what the API configured) in files there. */
export function embeddedPipeline(deps: { clock: Clock; log: Logger; dataDir?: string }): EmbeddedPipeline {
  const store = new MemoryStore(deps.clock);
  // Retry delays and waiting ages are wall time, whatever clock the presence runs on.
  const queue = new MemoryQueue({ log: deps.log });
  const boundaries = new MemoryBoundaries(deps.clock);
  const bus = new MemoryBus(deps.log);
  const connectorStores = deps.dataDir !== undefined ? new FileConnectorStores(deps.dataDir, deps.log) : new MemoryConnectorStores();
  return {
    mode: 'embedded',
    store,
    queue,
    boundaries,
    bus,
    connectorStore: (id) => connectorStores.of(id),
    notices: new MemoryNotices(),
    durable: deps.dataDir !== undefined,
    timeline: new MemoryTimelineStore(),
    ready: () => true,
    async close() {
      await queue.close();
      await boundaries.close();
      await bus.close();
      await store.close();
    },
  };
}
