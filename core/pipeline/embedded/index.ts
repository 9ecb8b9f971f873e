import type { Clock } from '../../util/clock.ts';
import type { Logger } from '../../util/logger.ts';
import type { Pipeline } from '../ports.ts';
import { MemoryBoundaries } from './boundaries.ts';
import { MemoryBus } from './bus.ts';
import { MemoryConnectorStores } from './connector-store.ts';
import { MemoryQueue } from './queue.ts';
import { MemoryStore } from './store.ts';
import { MemoryTimelineStore } from './timeline-store.ts';

export interface EmbeddedPipeline extends Pipeline {
  readonly queue: MemoryQueue;
  readonly boundaries: MemoryBoundaries;
}

export function embeddedPipeline(deps: { clock: Clock; log: Logger }): EmbeddedPipeline {
  const store = new MemoryStore(deps.clock);
  const queue = new MemoryQueue({ log: deps.log });
  const boundaries = new MemoryBoundaries(deps.clock);
  const bus = new MemoryBus();
  const connectorStores = new MemoryConnectorStores();
  return {
    mode: 'embedded',
    store,
    queue,
    boundaries,
    bus,
    connectorStore: (id) => connectorStores.of(id),
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
