import type { ConnectorContext } from '../../core/connector/contract.ts';
import { normalizeIdentity } from '../../core/directory/identity.ts';
import type { SignalInput } from '../../core/model/signal.ts';
import { errorMessage } from '../../core/errors.ts';
import type { PidfDocument } from '../sip-core/pidf.ts';
import type { Notification } from '../sip-core/subscription.ts';
import { entityIdentity, presenceDocuments, PRESENCE_ACCEPT, subscriptionDownError, type SipSession } from './client.ts';
import type { SipPresenceConfig } from './config.ts';
import type { LoopGuard } from './loop-guard.ts';
import { pidfMachineState, pidfToNeutral, type NeutralMachine, type NeutralState } from './map.ts';

/**
 * While a presentity's document says `user-input active`, its machine state is re-asserted this
 * often: the availability rules count a machine without input for 5 minutes as inactive, and a
 * presence server NOTIFYs only on change.
 */
export const MACHINE_ACTIVE_REASSERT_MS = 60_000;

/**
 * The watcher half (RFC 3856 / RFC 6665): one presence subscription per presentity, each NOTIFY
 * turned into a signal. Each presentity is one register (endpoint from the config): a NOTIFY
 * replaces it; a subscription that dies, or a document that holds nothing but the hub's own
 * publication, makes it lapse (an already-expired signal) instead of leaving a ghost state.
 */
export class SipPresenceCollector {
  private readonly last = new Map<string, string>();
  /** Machine state (RFC 4480 user-input) last sent per presentity, and the re-assertion timers. */
  private readonly lastMachine = new Map<string, string>();
  private readonly reassert = new Map<string, NodeJS.Timeout>();
  private readonly ctx: ConnectorContext<SipPresenceConfig>;
  private readonly guard: LoopGuard;

  private readonly reassertMs: number;

  constructor(deps: { ctx: ConnectorContext<SipPresenceConfig>; guard: LoopGuard; reassertMs?: number }) {
    this.ctx = deps.ctx;
    this.guard = deps.guard;
    this.reassertMs = deps.reassertMs ?? MACHINE_ACTIVE_REASSERT_MS;
  }

  /** Subscribes to every target on the session. */
  watch(session: SipSession, targets: readonly string[]): void {
    for (const target of targets) {
      session.subscribe({
        target,
        event: 'presence',
        accept: PRESENCE_ACCEPT,
        onNotify: (n) => void this.onNotify(target, n),
        onDown: (reason, permanent, ended) => {
          this.ctx.report.error(subscriptionDownError({ what: 'subscription', target, watched: 'it' }, reason, permanent, ended));
          void this.lapse(target);
        },
      });
    }
  }

  /** Every presentity a signal was sent for lapses (the connector stops). */
  async lapseAll(): Promise<void> {
    for (const identity of new Set([...this.last.keys(), ...this.lastMachine.keys()])) await this.lapse(identity);
    for (const t of this.reassert.values()) clearTimeout(t);
    this.reassert.clear();
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
      const now = this.ctx.clock.now();
      const state = pidfToNeutral(independent, now);
      if (state === undefined) await this.lapse(identity);
      else await this.emit(identity, state);
      await this.machine(identity, pidfMachineState(independent, now));
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

  /**
   * The presentity's machine register (category machine, same source and endpoint): `inactive`
   * with the last input as its time, or `active` re-asserted while the document says so; a
   * document without user-input makes a machine state sent before lapse.
   */
  private async machine(identity: string, m: NeutralMachine | undefined): Promise<void> {
    if (m === undefined) return this.lapseMachine(identity);
    const key = JSON.stringify([m.machineState, m.lastInput]);
    if (this.lastMachine.get(identity) === key) return;
    this.lastMachine.set(identity, key);
    this.stopReassert(identity);
    if (!(await this.sendMachine(identity, m))) {
      this.lastMachine.delete(identity);
      return;
    }
    if (m.machineState === 'active') {
      const t = setInterval(() => void this.sendMachine(identity, m), this.reassertMs);
      t.unref?.();
      this.reassert.set(identity, t);
    }
  }

  private async sendMachine(identity: string, m: NeutralMachine): Promise<boolean> {
    // No sourceTime on `active`: each re-assertion is a new observation the hub stamps (fresh input).
    return this.send([{ ...this.base(identity), category: 'machine', machineState: m.machineState, ...(m.lastInput !== undefined ? { sourceTime: m.lastInput } : {}) }]);
  }

  private stopReassert(identity: string): void {
    const t = this.reassert.get(identity);
    if (t !== undefined) clearInterval(t);
    this.reassert.delete(identity);
  }

  private async lapseMachine(identity: string): Promise<void> {
    this.stopReassert(identity);
    if (!this.lastMachine.has(identity)) return;
    this.lastMachine.delete(identity);
    const now = new Date(this.ctx.clock.now()).toISOString();
    // No sourceTime: a later idle whose last input is before now must not count as stale.
    await this.send([{ ...this.base(identity), category: 'machine', machineState: 'unknown', until: now }]);
  }

  /** The presentity decays to unknown: an already-expired signal replaces its register (both registers). */
  private async lapse(identity: string): Promise<void> {
    await this.lapseMachine(identity);
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
