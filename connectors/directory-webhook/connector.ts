/**
 * The lifecycle of one directory-webhook instance: the batching publisher (publisher.ts) runs
 * between start and stop; testConnection posts a signed empty batch.
 */
import type { Connector, ConnectorContext, TestResult } from '../../core/connector/contract.ts';
import type { Presence } from '../../core/model/presence.ts';
import type { ClassChangeBatcher } from '../directory-common/class-change-batcher.ts';
import { postBatch } from './client.ts';
import type { DirectoryWebhookConfig } from './config.ts';
import { webhookBody } from './map.ts';
import { DirectoryWebhookPublisher } from './publisher.ts';

export class DirectoryWebhookConnector implements Connector {
  private readonly publisher: DirectoryWebhookPublisher;

  constructor(private readonly ctx: ConnectorContext<DirectoryWebhookConfig>) {
    this.publisher = new DirectoryWebhookPublisher(ctx);
  }

  /** The pending changes and their delivery schedule (tests and the admin view read it). */
  get batcher(): ClassChangeBatcher {
    return this.publisher.batcher;
  }

  async start(): Promise<void> {
    this.publisher.batcher.start();
  }

  async stop(): Promise<void> {
    await this.publisher.batcher.stop();
  }

  /** Sends an empty, signed batch: proves the URL answers and accepts the signature. */
  async testConnection(): Promise<TestResult> {
    const r = await postBatch(this.ctx.config, this.ctx.clock, webhookBody(this.ctx.id, this.ctx.clock.now(), []));
    if (r.ok) return { ok: true, message: `the receiver accepted a signed empty batch (${r.status})` };
    return { ok: false, kind: r.error.kind, code: r.error.code, message: r.error.message };
  }

  async publish(changes: readonly Presence[]): Promise<void> {
    this.publisher.publish(changes);
  }
}
