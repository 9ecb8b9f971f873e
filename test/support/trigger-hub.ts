/**
 * An embedded test hub whose `hub:triggers` store a test can hold back or refuse, for the trigger
 * tests of a node's bad moments (a store that is slow or away while a firing is recorded, fanned
 * out or flushed at a stop). The hub, the triggers and the store behind the wrapper are the real ones.
 */
import type { ConnectorStore } from '../../core/connector/contract.ts';
import type { HubConfigInput } from '../../core/config/schema.ts';
import { embeddedPipeline } from '../../core/pipeline/embedded/index.ts';
import { systemClock } from '../../core/util/clock.ts';
import type { Logger } from '../../core/util/logger.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { TEAM_ENV, teamConfig, testHub, type TestHub } from './hub.ts';

/** The store, with the methods of `over` in place of its own. */
export function storeWith(inner: ConnectorStore, over: Partial<ConnectorStore>): ConnectorStore {
  return {
    get: (keys) => inner.get(keys),
    set: (entries) => inner.set(entries),
    delete: (keys) => inner.delete(keys),
    entries: (prefix) => inner.entries(prefix),
    ...(inner.setIfAbsent !== undefined ? { setIfAbsent: (key: string, value: string) => inner.setIfAbsent!(key, value) } : {}),
    ...over,
  };
}

/** A hub of the team configuration with `triggers`, its `hub:triggers` store wrapped by `wrap`. */
export function triggerHub(opts: {
  triggers: NonNullable<HubConfigInput['triggers']>;
  wrap?: (inner: ConnectorStore) => ConnectorStore;
  dataDir?: string;
  env?: NodeJS.ProcessEnv;
  log?: Logger;
}): Promise<TestHub> {
  const p = embeddedPipeline({ clock: systemClock, log: silentLogger(), ...(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}) });
  const wrap = opts.wrap;
  const pipeline = wrap === undefined ? p : { ...p, connectorStore: (id: string) => (id === 'hub:triggers' ? wrap(p.connectorStore!(id)) : p.connectorStore!(id)) };
  return testHub({
    config: { ...teamConfig(opts.dataDir !== undefined ? { dataDir: opts.dataDir } : {}), triggers: opts.triggers },
    env: opts.env ?? TEAM_ENV,
    clock: systemClock,
    pipeline,
    ...(opts.log !== undefined ? { log: opts.log } : {}),
  });
}

/**
 * Holds back the fan-out: while `hold()` is in force, reads of the latest firings (`last:`, what
 * a node reads to fan a firing out to its streams) wait until `release()`; `held` counts them.
 */
export function fanOutGate(): { wrap: (inner: ConnectorStore) => ConnectorStore; hold(): void; release(): void; readonly held: number } {
  let gate: Promise<void> | undefined;
  let open = (): void => undefined;
  let held = 0;
  return {
    wrap: (inner) =>
      storeWith(inner, {
        entries: async (prefix) => {
          if (prefix === 'last:' && gate !== undefined) {
            held++;
            await gate;
          }
          return inner.entries(prefix);
        },
      }),
    hold() {
      gate = new Promise<void>((r) => (open = r));
    },
    release() {
      gate = undefined;
      open();
    },
    get held() {
      return held;
    },
  };
}
