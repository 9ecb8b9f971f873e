/**
 * Class changes out to the directory-sync service: queues them (only a change of class is sent,
 * the newest class per person wins), POSTs them in batches at most once per interval, and retries
 * a failed batch with capped exponential backoff or after the receiver's Retry-After. A batch the
 * receiver refuses (4xx) is not retried; the error stays in health.
 */
import type { ConnectorContext } from '../../core/connector/contract.ts';
import type { Presence } from '../../core/model/presence.ts';
import { ClassChangeBatcher, type ClassChange, type DeliveryOutcome } from '../directory-common/class-change-batcher.ts';
import { postBatch } from './client.ts';
import type { DirectoryWebhookConfig } from './config.ts';
import { webhookBody } from './map.ts';

export class DirectoryWebhookPublisher {
  readonly batcher: ClassChangeBatcher;

  constructor(private readonly ctx: ConnectorContext<DirectoryWebhookConfig>) {
    const c = ctx.config;
    this.batcher = new ClassChangeBatcher({
      clock: ctx.clock,
      batchSize: c.batchSize,
      interval: c.interval,
      backoff: { baseMs: c.retryBase, maxMs: c.retryMax },
      deliver: (batch) => this.deliver(batch),
    });
  }

  publish(changes: readonly Presence[]): void {
    this.batcher.offer(changes);
  }

  private async deliver(batch: readonly ClassChange[]): Promise<DeliveryOutcome> {
    const ids = batch.map((c) => c.person);
    const r = await postBatch(this.ctx.config, this.ctx.clock, webhookBody(this.ctx.id, this.ctx.clock.now(), batch));
    if (r.ok) {
      this.ctx.report.count('delivered', batch.length);
      this.ctx.report.ok();
      return { delivered: ids, retry: [], dropped: [] };
    }
    this.ctx.report.error(r.error);
    if (r.error.kind === 'permanent') {
      this.ctx.log.error({ code: r.error.code, changes: batch.length }, 'directory-webhook: batch refused, not retried');
      return { delivered: [], retry: [], dropped: ids };
    }
    return { delivered: [], retry: ids, dropped: [], ...(r.retryAfterMs !== undefined ? { retryAfterMs: r.retryAfterMs } : {}) };
  }
}
