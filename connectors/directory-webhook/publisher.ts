/**
 * Class changes out to the directory-sync service, driven by the hub's reconciliation
 * (core/publish, docs/publishing.md): the desired state of a person of the directory is their
 * availability class (a directory-sync service wants the class, not every activity change). Writes
 * are gathered into signed POSTs of at most `batchSize` changes, at most one per `interval`
 * (directory-common/write-batches.ts); each change carries the person's current availability and
 * when it took it.
 *
 * Outcomes of a POST, for every change it carried: 2xx confirmed; 4xx failed (the receiver did not
 * take it; 429 with its Retry-After); a 5xx or a timeout unknown (it may have applied); a refused
 * connection failed (nothing sent). Failed and unknown are retried by the reconciliation until the
 * receiver confirms or the class changes.
 */
import type { ConnectorContext } from '../../core/connector/contract.ts';
import type { AvailabilityClass } from '../../core/model/availability.ts';
import type { Presence } from '../../core/model/presence.ts';
import { CONFIRMED, type PublishTarget, type WriteOutcome } from '../../core/publish/target.ts';
import { WriteBatches } from '../directory-common/write-batches.ts';
import { postBatch } from './client.ts';
import type { DirectoryWebhookConfig } from './config.ts';
import { webhookBody, type ClassChange } from './map.ts';

export class DirectoryWebhookTarget implements PublishTarget<AvailabilityClass> {
  readonly concurrency: number;
  readonly batches: WriteBatches<ClassChange>;
  /** The latest presence planned per person: the availability number and time a change carries. */
  private readonly latest = new Map<string, { availability: number; at: number }>();

  constructor(private readonly ctx: ConnectorContext<DirectoryWebhookConfig>) {
    const c = ctx.config;
    this.concurrency = c.batchSize;
    this.batches = new WriteBatches({ clock: ctx.clock, batchSize: c.batchSize, interval: c.interval, send: (items) => this.send(items) });
  }

  /** People of the directory have a class to deliver; anyone else has nothing. */
  plan(p: Presence): AvailabilityClass | null {
    if (this.ctx.directory.person(p.person) === undefined) {
      this.latest.delete(p.person);
      return null;
    }
    this.latest.set(p.person, { availability: p.availability, at: p.since });
    return p.class;
  }

  people(): Iterable<string> {
    return [...this.ctx.directory.people()].map((p) => p.id);
  }

  write(person: string, desired: AvailabilityClass): Promise<WriteOutcome> {
    const l = this.latest.get(person);
    return this.batches.submit({ person, class: desired, availability: l?.availability ?? 0, at: l?.at ?? this.ctx.clock.now() });
  }

  /**
   * A person who left the directory: the webhook delivers changes and holds nothing the hub could
   * take back, so there is nothing to send (the receiver retires the person from its own directory).
   */
  async clear(): Promise<WriteOutcome> {
    return CONFIRMED;
  }

  private async send(batch: readonly ClassChange[]): Promise<WriteOutcome[]> {
    const r = await postBatch(this.ctx.config, this.ctx.clock, webhookBody(this.ctx.id, this.ctx.clock.now(), batch));
    if (r.ok) {
      this.ctx.report.count('delivered', batch.length);
      return batch.map(() => CONFIRMED);
    }
    const out: WriteOutcome =
      r.outcome === 'unknown' ? { outcome: 'unknown', error: r.error } : { outcome: 'failed', error: r.error, ...(r.retryAfterMs !== undefined ? { retryAfterMs: r.retryAfterMs } : {}) };
    return batch.map(() => out);
  }
}
