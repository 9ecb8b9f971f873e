/**
 * The lifecycle of one directory-webhook instance: the publish target (publisher.ts) is attached
 * to the hub's reconciliation between start and stop; testConnection posts a signed empty batch.
 */
import type { Connector, ConnectorContext, TestResult } from '../../core/connector/contract.ts';
import { HubError } from '../../core/errors.ts';
import type { AvailabilityClass } from '../../core/model/availability.ts';
import type { PublishHandle } from '../../core/publish/target.ts';
import { postBatch } from './client.ts';
import type { DirectoryWebhookConfig } from './config.ts';
import { webhookBody } from './map.ts';
import { DirectoryWebhookTarget } from './publisher.ts';

export class DirectoryWebhookConnector implements Connector {
  readonly target: DirectoryWebhookTarget;
  private handle: PublishHandle<AvailabilityClass> | undefined;

  constructor(private readonly ctx: ConnectorContext<DirectoryWebhookConfig>) {
    this.target = new DirectoryWebhookTarget(ctx);
  }

  /** The reconciliation's handle while running (stats, tests). */
  get publishing(): PublishHandle<AvailabilityClass> | undefined {
    return this.handle;
  }

  /**
   * Proves the receiver takes the signature (a signed empty batch: a refusal, e.g. 401 for a wrong
   * secret, fails the start as permanent; no answer is transient and the start is retried), then
   * attaches the target: the reconciliation delivers every person the receiver may not have yet.
   */
  async start(): Promise<void> {
    if (this.ctx.publishing === undefined) throw new HubError('HUB_ERR_CONFIG', `${this.ctx.id}: publish needs the hub's reconciliation (ConnectorContext.publishing)`, { kind: 'permanent' });
    const r = await postBatch(this.ctx.config, this.ctx.clock, webhookBody(this.ctx.id, this.ctx.clock.now(), []));
    if (!r.ok) throw r.error;
    this.target.batches.start();
    this.handle = await this.ctx.publishing.attach(this.target);
  }

  async stop(): Promise<void> {
    const detached = this.handle?.detach();
    this.handle = undefined;
    await this.target.batches.stop();
    await detached;
  }

  /** Sends an empty, signed batch: proves the URL answers and accepts the signature. */
  async testConnection(): Promise<TestResult> {
    const r = await postBatch(this.ctx.config, this.ctx.clock, webhookBody(this.ctx.id, this.ctx.clock.now(), []));
    if (r.ok) return { ok: true, message: `the receiver accepted a signed empty batch (${r.status})` };
    return { ok: false, kind: r.error.kind, code: r.error.code, message: r.error.message };
  }
}
