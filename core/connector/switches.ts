import type { ConnectorStore } from './contract.ts';
import type { Notices } from '../pipeline/ports.ts';
import { SharedRecord } from '../pipeline/shared-record.ts';
import type { Logger } from '../util/logger.ts';

/**
 * The admin's enable/disable of connectors (POST /v1/connectors/{id}/enable|disable), shared by
 * every node (Redis) and kept across restarts (Redis, or embedded `dataDir`): a connector disabled
 * through node 1 stops wherever it runs and no node takes its lease; one enabled again runs on one
 * node. A switch overrides the configuration's `enabled` until it is switched back.
 */
export class ConnectorSwitches {
  private readonly record: SharedRecord;
  private applying: Promise<void> = Promise.resolve();
  private readonly enqueue: (wanted: ReadonlyMap<string, boolean>) => Promise<void>;

  constructor(
    deps: {
      store: ConnectorStore;
      notices?: Notices;
      log: Logger;
      /** Brings this node in line with the switches (id -> enabled); calls never overlap. */
      apply: (wanted: ReadonlyMap<string, boolean>) => Promise<void>;
    },
  ) {
    this.enqueue = (wanted) => {
      const run = (): Promise<void> => deps.apply(wanted).catch((e: unknown) => deps.log.error({ err: e }, 'connector switches not applied'));
      this.applying = this.applying.then(run, run);
      return this.applying;
    };
    this.record = new SharedRecord({
      store: deps.store,
      ...(deps.notices !== undefined ? { notices: deps.notices } : {}),
      topic: 'connectors',
      log: deps.log,
      onChange: (entries) => {
        void this.enqueue(new Map([...entries].filter(([, v]) => v === 'enabled' || v === 'disabled').map(([id, v]) => [id, v === 'enabled'] as const)));
      },
    });
  }

  /** Reads the switches and applies them (before the connectors start). */
  async start(): Promise<void> {
    await this.record.start();
    await this.applying;
  }

  stop(): void {
    this.record.stop();
  }

  /** Stored for every node, then applied here: resolves once this node is in line. */
  async set(id: string, enabled: boolean): Promise<void> {
    await this.record.set([[id, enabled ? 'enabled' : 'disabled']]);
    await this.enqueue(new Map([[id, enabled]]));
  }
}
