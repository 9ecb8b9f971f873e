import type { ConnectorContext } from '../../core/connector/contract.ts';
import { normalizeIdentity } from '../../core/directory/identity.ts';
import type { SignalInput } from '../../core/model/signal.ts';
import { HubError, errorMessage } from '../../core/errors.ts';
import type { PidfDocument } from '../sip-core/pidf.ts';
import type { Notification } from '../sip-core/subscription.ts';
import { entityIdentity, presenceDocuments, PRESENCE_ACCEPT, type SipSession } from './client.ts';
import type { SipPresenceConfig } from './config.ts';
import type { LoopGuard } from './loop-guard.ts';
import { pidfToNeutral, type NeutralState } from './map.ts';

/**
 * The watcher half (RFC 3856 / RFC 6665): one presence subscription per presentity, each NOTIFY
 * turned into a signal. Each presentity is one register (endpoint from the config): a NOTIFY
 * replaces it; a subscription that dies, or a document that holds nothing but the hub's own
 * publication, makes it lapse (an already-expired signal) instead of leaving a ghost state.
 */
export class SipPresenceCollector {
  private readonly last = new Map<string, string>();
  private readonly ctx: ConnectorContext<SipPresenceConfig>;
  private readonly guard: LoopGuard;

  constructor(deps: { ctx: ConnectorContext<SipPresenceConfig>; guard: LoopGuard }) {
    this.ctx = deps.ctx;
    this.guard = deps.guard;
  }

  /** Subscribes to every target on the session. */
  watch(session: SipSession, targets: readonly string[]): void {
    for (const target of targets) {
      session.subscribe({
        target,
        event: 'presence',
        accept: PRESENCE_ACCEPT,
        onNotify: (n) => void this.onNotify(target, n),
        onDown: (reason, permanent) => {
          this.ctx.report.error(
            permanent === true
              ? new HubError('HUB_ERR_SIP_AUTH', `the server refused the subscription to ${target} (${reason}), not retried; check auth.username and auth.password, and that the server lets the hub watch it`, { kind: 'permanent' })
              : new HubError('HUB_ERR_SIP_SUBSCRIPTION', `subscription to ${target} down: ${reason}`, { kind: 'transient' }),
          );
          void this.lapse(target);
        },
      });
    }
  }

  /** Every presentity a signal was sent for lapses (the connector stops). */
  async lapseAll(): Promise<void> {
    for (const identity of [...this.last.keys()]) await this.lapse(identity);
  }

  private async onNotify(target: string, n: Notification): Promise<void> {
    let docs: PidfDocument[];
    try {
      docs = presenceDocuments(n);
    } catch (e) {
      this.ctx.log.warn({ target, err: errorMessage(e) }, 'NOTIFY body refused');
      this.ctx.report.error(e);
      return;
    }
    this.ctx.report.ok();
    this.ctx.report.count('notifies');
    if (docs.length === 0) {
      // An empty NOTIFY (no publication, RFC 3856 section 6.6.2 pending/neutral state): nothing is known.
      if (n.state !== 'terminated') await this.lapse(target);
      return;
    }
    const single = docs.length === 1 && !n.contentType.toLowerCase().startsWith('multipart/');
    for (const doc of docs) {
      const identity = single ? target : normalizeIdentity(entityIdentity(doc.entity));
      const independent = this.withoutOwn(doc);
      const state = pidfToNeutral(independent, this.ctx.clock.now());
      if (state === undefined) await this.lapse(identity);
      else await this.emit(identity, state);
    }
  }

  /** Drops the tuples and persons the hub published itself (loop guard). */
  private withoutOwn(doc: PidfDocument): PidfDocument {
    return { ...doc, tuples: doc.tuples.filter((t) => !this.guard.isOwn(t.id)), persons: doc.persons.filter((p) => !this.guard.isOwn(p.id)) };
  }

  private base(identity: string): Pick<SignalInput, 'identity' | 'source' | 'endpoint' | 'category'> {
    return { identity, source: this.ctx.id, endpoint: this.ctx.config.endpoint, category: this.ctx.config.category };
  }

  private async emit(identity: string, s: NeutralState): Promise<void> {
    const key = JSON.stringify([s.availability, s.activity]);
    if (this.last.get(identity) === key) return;
    this.last.set(identity, key);
    const sig: SignalInput = { ...this.base(identity), availability: s.availability, sourceTime: new Date(this.ctx.clock.now()).toISOString() };
    if (s.activity !== undefined) sig.activity = s.activity;
    // Not remembered as sent when the hub could not take it (Redis away): the next NOTIFY retries.
    if (!(await this.send([sig]))) this.last.delete(identity);
  }

  /** The presentity decays to unknown: an already-expired signal replaces its register. */
  private async lapse(identity: string): Promise<void> {
    if (!this.last.has(identity)) return;
    this.last.delete(identity);
    const now = new Date(this.ctx.clock.now()).toISOString();
    await this.send([{ ...this.base(identity), availability: 'available', until: now, sourceTime: now }]);
  }

  private async send(batch: SignalInput[]): Promise<boolean> {
    try {
      const r = await this.ctx.emit(batch);
      this.ctx.report.count('signals', r.accepted);
      for (const x of r.refused) this.ctx.log.warn({ code: x.code, detail: x.detail }, 'signal refused by the hub');
      return true;
    } catch (e) {
      this.ctx.report.error(e);
      return false;
    }
  }
}
