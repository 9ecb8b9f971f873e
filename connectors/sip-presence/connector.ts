import type { Connector, ConnectorContext, TestResult } from '../../core/connector/contract.ts';
import { normalizeIdentity } from '../../core/directory/identity.ts';
import { HubError, errorMessage } from '../../core/errors.ts';
import type { Presence } from '../../core/model/presence.ts';
import type { PublishHandle } from '../../core/publish/target.ts';
import { SipSession } from './client.ts';
import { LoopGuard } from './loop-guard.ts';
import type { SipPresenceConfig } from './config.ts';
import { SipPresenceCollector } from './collector.ts';
import type { PidfState } from './map.ts';
import { SipPublishTarget } from './publisher.ts';

/**
 * The lifecycle of one sip-presence instance: one SIP session shared by the watcher
 * (collector.ts, RFC 3856 / RFC 6665) and the publisher (publisher.ts, RFC 3903, driven by the
 * hub's reconciliation core/publish), so that the loop guard sees both directions. When the
 * session notices that the presence server lost the hub's state (a restart: 481 on a refresh, a
 * terminated NOTIFY inviting a new subscription, no NOTIFY within Timer N, a closed TCP
 * connection confirmed by a check, a 412 on a publication refresh), the subscriptions are
 * re-created and the publisher reconciles every person (handle.resync).
 */
export class SipPresenceConnector implements Connector {
  private session: SipSession | undefined;
  private readonly guard: LoopGuard;
  private readonly collector: SipPresenceCollector;
  private target: SipPublishTarget | undefined;
  private handle: PublishHandle<PidfState> | undefined;
  private lastResync = -Infinity;

  constructor(private readonly ctx: ConnectorContext<SipPresenceConfig>) {
    this.guard = new LoopGuard(ctx.id);
    this.collector = new SipPresenceCollector({ ctx, guard: this.guard });
  }

  private presentities(): string[] {
    const set = new Set(this.ctx.config.presentities.map(normalizeIdentity));
    if (this.ctx.config.watchDirectory) {
      for (const p of this.ctx.directory.people()) for (const i of p.identities) if (/^sips?:/i.test(i)) set.add(normalizeIdentity(i));
    }
    return [...set];
  }

  /** The reconciliation of the publisher (undefined when publishing is off or the connector is stopped). */
  get publishing(): PublishHandle<PidfState> | undefined {
    return this.handle;
  }

  async start(): Promise<void> {
    const session = await SipSession.open(this.ctx.config, this.ctx.log);
    this.session = session;
    try {
      session.onServerLost((why) => this.resync(why));
      if (this.ctx.config.publish.enabled) {
        if (this.ctx.publishing === undefined) throw new HubError('HUB_ERR_CONFIG', `${this.ctx.id}: publish needs the hub's reconciliation (ConnectorContext.publishing)`, { kind: 'permanent' });
        const target = new SipPublishTarget({ ctx: this.ctx, session: () => this.session, guard: this.guard, onServerLost: (why) => session.serverLost(why) });
        await target.load();
        this.target = target;
        session.setFallbackProbe(() => target.probe());
        this.handle = await this.ctx.publishing.attach(target);
      }
      const targets = this.presentities();
      this.collector.watch(session, targets);
      this.ctx.log.info({ presentities: targets.length, publish: this.ctx.config.publish.enabled, contact: session.ua.contact('hub', this.ctx.config.transport) }, 'sip-presence started');
    } catch (e) {
      await this.stop();
      throw e;
    }
  }

  /**
   * Every person is written again or removed. One restart shows itself many times (every
   * subscription's 481, the 412s of the re-publication itself): one reconcile per 10 s is enough,
   * the reconciliation's retries and each publication's own 412 handling cover the rest.
   */
  private resync(why: string): void {
    const now = Date.now();
    if (this.handle === undefined || now - this.lastResync < 10_000) return;
    this.lastResync = now;
    this.handle.resync(`the presence server lost the hub's state: ${why}`);
  }

  /** Presence changes reach the publisher through the hub's reconciliation (ctx.publishing), not here. */
  async publish(_changes: readonly Presence[]): Promise<void> {}

  /**
   * Stops watching and publishing. The hub's publications stay in the server (they end at their
   * Expires unless refreshed): the next start, here or on another node, reconciles them from the
   * durable record and the saved entity tags (README "What the publisher does").
   */
  async stop(): Promise<void> {
    const s = this.session;
    this.session = undefined;
    const h = this.handle;
    this.handle = undefined;
    this.target = undefined;
    await h?.detach().catch((e: unknown) => this.ctx.log.warn(`stopping ${this.ctx.id}: ${errorMessage(e)}`));
    if (s === undefined) return;
    try {
      await s.close();
    } finally {
      await this.collector.lapseAll();
    }
  }

  async testConnection(): Promise<TestResult> {
    return SipSession.test(this.ctx.config, this.ctx.log, this.session);
  }
}
