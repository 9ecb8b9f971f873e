import type { Connector, ConnectorContext, TestResult } from '../../core/connector/contract.ts';
import { normalizeIdentity } from '../../core/directory/identity.ts';
import type { Presence } from '../../core/model/presence.ts';
import { SipSession } from './client.ts';
import { LoopGuard } from './loop-guard.ts';
import type { SipPresenceConfig } from './config.ts';
import { SipPresenceCollector } from './collector.ts';
import { SipPresencePublisher } from './publisher.ts';

/**
 * The lifecycle of one sip-presence instance: one SIP session shared by the watcher
 * (collector.ts, RFC 3856 / RFC 6665) and the publisher (publisher.ts, RFC 3903), so that the
 * loop guard sees both directions.
 */
export class SipPresenceConnector implements Connector {
  private session: SipSession | undefined;
  private readonly guard: LoopGuard;
  private readonly publisher: SipPresencePublisher;
  private readonly collector: SipPresenceCollector;

  constructor(private readonly ctx: ConnectorContext<SipPresenceConfig>) {
    this.guard = new LoopGuard(ctx.id);
    this.publisher = new SipPresencePublisher({ ctx, session: () => this.session, guard: this.guard });
    this.collector = new SipPresenceCollector({ ctx, guard: this.guard });
  }

  private presentities(): string[] {
    const set = new Set(this.ctx.config.presentities.map(normalizeIdentity));
    if (this.ctx.config.watchDirectory) {
      for (const p of this.ctx.directory.people()) for (const i of p.identities) if (/^sips?:/i.test(i)) set.add(normalizeIdentity(i));
    }
    return [...set];
  }

  async start(): Promise<void> {
    this.session = await SipSession.open(this.ctx.config, this.ctx.log);
    const targets = this.presentities();
    this.collector.watch(this.session, targets);
    this.ctx.log.info({ presentities: targets.length, contact: this.session.ua.contact('hub', this.ctx.config.transport) }, 'sip-presence started');
  }

  async publish(changes: readonly Presence[]): Promise<void> {
    if (!this.ctx.config.publish.enabled) return;
    await this.publisher.publish(changes);
  }

  async stop(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    if (s === undefined) return;
    try {
      await this.publisher.removeAll();
    } finally {
      await s.close();
      await this.collector.lapseAll();
    }
  }

  async testConnection(): Promise<TestResult> {
    return SipSession.test(this.ctx.config, this.ctx.log, this.session);
  }
}
