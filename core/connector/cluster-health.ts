import { z } from 'zod';
import { errorMessage } from '../errors.ts';
import type { Logger } from '../util/logger.ts';
import { parseStored } from '../util/stored-json.ts';
import type { ConnectorStore, Health } from './contract.ts';
import { failingFeeds, failingOf, type FailingFeed } from './feeds.ts';

const recordSchema = z.object({ node: z.string(), failing: z.boolean(), state: z.string(), since: z.number().optional() });
type HealthRecord = z.infer<typeof recordSchema>;

/**
 * Whether each connector is failing, as the cluster sees it (docs/api.md "Failing connectors and whom
 * they feed"). In Redis mode a connector runs on one node (its lease); the other nodes hold a
 * supervisor that does not run it and knows nothing of its health. So the node running a connector
 * writes what the board's mark needs (failing or not, its state, since when) to the shared store
 * `hub:health` whenever that changes, and a node answering for a connector it does not run reads
 * the record of the node holding the lease now (a record of a node that no longer holds it is
 * ignored: the new holder writes its own as it starts).
 */
export class ClusterHealth {
  /** What this node last wrote per connector (a write only when it changes). */
  private readonly written = new Map<string, string>();
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      store: ConnectorStore;
      nodeId: string;
      log: Logger;
      /** Whether this node runs connector `id` now (holds its lease). */
      runs: (id: string) => boolean;
      /** The node running connector `id` now, if any. */
      holder: (id: string) => Promise<string | undefined>;
    },
  ) {}

  /** The connector's health changed on this node: stored for the others when this node runs it. */
  note(id: string, h: Pick<Health, 'state' | 'lastOkAt' | 'lastError' | 'failingSince'>): void {
    if (!this.deps.runs(id)) return;
    const f = failingOf(h);
    const rec: HealthRecord = { node: this.deps.nodeId, failing: f !== undefined, state: h.state, ...(f?.since !== undefined ? { since: f.since } : {}) };
    const value = JSON.stringify(rec);
    if (this.written.get(id) === value) return;
    this.written.set(id, value);
    this.chain = this.chain
      .then(() => this.deps.store.set([[id, value]]))
      .catch((e: unknown) => {
        // Written again at the next change.
        if (this.written.get(id) === value) this.written.delete(id);
        this.deps.log.warn({ connector: id, err: errorMessage(e) }, 'connector health not shared');
      });
  }

  /** Resolves once what was noted so far is written (or failed). */
  settled(): Promise<void> {
    return this.chain;
  }

  /** This node starts running `id`: its next note is written whatever it wrote before (another node may have written since). */
  took(id: string): void {
    this.written.delete(id);
  }

  /** The connectors failing now, in the cluster: this node's own health for those it runs, the holder's record for the others. */
  async failing(supervisors: Iterable<readonly [string, { readonly kind: string; health(): Health }]>): Promise<FailingFeed[]> {
    const here: [string, { readonly kind: string; health(): Health }][] = [];
    const elsewhere: [string, string][] = [];
    for (const [id, s] of supervisors) {
      if (this.deps.runs(id)) here.push([id, s]);
      else elsewhere.push([id, s.kind]);
    }
    const out = failingFeeds(here);
    if (elsewhere.length > 0) {
      const [records, holders] = await Promise.all([this.deps.store.get(elsewhere.map(([id]) => id)), Promise.all(elsewhere.map(([id]) => this.deps.holder(id)))]);
      elsewhere.forEach(([id, kind], i) => {
        const r = parseStored(recordSchema, records.get(id));
        if (r === undefined || !r.failing || holders[i] === undefined || r.node !== holders[i]) return;
        out.push({ id, kind, state: r.state as Health['state'], ...(r.since !== undefined ? { since: r.since } : {}) });
      });
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }
}
