import type { ConnectorContext } from '../../core/connector/contract.ts';
import type { SignalInput } from '../../core/model/signal.ts';
import { errorMessage } from '../../core/errors.ts';
import type { XmppConfig } from './config.ts';
import { chooseResource, toNeutral, type ResourcePresence } from './map.ts';

interface Heard {
  readonly presence: ResourcePresence;
  /** When it was heard (the connector's clock), to break priority ties. */
  readonly at: number;
  /** The session generation it was heard in (resync: older ones are swept). */
  readonly generation: number;
}

interface Emitted {
  readonly endpoint: string;
  readonly key: string;
  /** A machine register is held for the endpoint (the resource reported idle). */
  readonly machine?: number;
}

/**
 * Turns the presence of every resource of every watched JID into signals. One resource speaks for
 * a person (the highest priority, then the latest): its register is the person's XMPP state,
 * endpoint = resource; the register of a resource that no longer speaks, or went unavailable, is
 * ended (an already-expired signal), never left behind as a ghost. An idle resource (XEP-0319,
 * XEP-0256) also holds a machine register whose last input is the idle time, so the hub's own
 * idle rules age it.
 *
 * Resync: after a fresh session (reconnect, server restart) the server reports every available
 * contact again; what it has not reported within `collect.settle` is gone. While the connection
 * is down for longer than `holdMs` nothing is known any more and every register is ended.
 */
export class PresenceCollector {
  private readonly heard = new Map<string, Map<string, Heard>>();
  private readonly emitted = new Map<string, Emitted>();
  private generation = 0;
  private sweepTimer: NodeJS.Timeout | undefined;
  private holdTimer: NodeJS.Timeout | undefined;
  /** Emits in order, one batch at a time: a lapse never overtakes the state it ends. */
  private chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly deps: {
      ctx: ConnectorContext<XmppConfig>;
      /** How long the state is kept while the connection is down (then: nothing known). */
      holdMs: number;
    },
  ) {}

  available(bare: string, resource: string, presence: ResourcePresence): void {
    let m = this.heard.get(bare);
    if (m === undefined) this.heard.set(bare, (m = new Map()));
    m.set(resource, { presence, at: this.deps.ctx.clock.now(), generation: this.generation });
    this.evaluate(bare);
  }

  unavailable(bare: string, resource: string): void {
    const m = this.heard.get(bare);
    if (m === undefined) return;
    // A bare-JID unavailable (a probe answer for a contact with no resource online) ends them all.
    if (resource === '') m.clear();
    else m.delete(resource);
    this.evaluate(bare);
  }

  /** A fresh session is online: what the server does not report again within the settle time is gone. */
  sessionStarted(): void {
    this.cancelHold();
    this.generation++;
    const g = this.generation;
    if (this.sweepTimer !== undefined) clearTimeout(this.sweepTimer);
    this.sweepTimer = setTimeout(() => {
      this.sweepTimer = undefined;
      this.sweep(g);
    }, this.deps.ctx.config.collect.settle);
    this.sweepTimer.unref?.();
  }

  /** The session resumed (XEP-0198): the server kept it, nothing was missed. */
  sessionResumed(): void {
    this.cancelHold();
  }

  /** The connection is down: hold what is known for a while, then end it. */
  connectionLost(): void {
    if (this.holdTimer !== undefined) return;
    this.holdTimer = setTimeout(() => {
      this.holdTimer = undefined;
      this.deps.ctx.log.info({ people: this.heard.size }, 'XMPP down for too long: every XMPP presence is ended until the server reports it again');
      this.forgetAll();
    }, this.deps.holdMs);
    this.holdTimer.unref?.();
  }

  /** Ends every register (connector stop). */
  async close(): Promise<void> {
    if (this.sweepTimer !== undefined) clearTimeout(this.sweepTimer);
    this.sweepTimer = undefined;
    this.cancelHold();
    this.forgetAll();
    await this.chain;
  }

  private cancelHold(): void {
    if (this.holdTimer !== undefined) clearTimeout(this.holdTimer);
    this.holdTimer = undefined;
  }

  private forgetAll(): void {
    const people = [...this.heard.keys()];
    this.heard.clear();
    for (const bare of people) this.evaluate(bare);
  }

  private sweep(g: number): void {
    for (const [bare, m] of this.heard) {
      let changed = false;
      for (const [r, h] of m) {
        if (h.generation < g) {
          m.delete(r);
          changed = true;
        }
      }
      if (changed) this.evaluate(bare);
    }
  }

  private evaluate(bare: string): void {
    const m = this.heard.get(bare);
    if (m !== undefined && m.size === 0) this.heard.delete(bare);
    const chosen = m === undefined ? undefined : chooseResource(m);
    const prev = this.emitted.get(bare);
    const batch: SignalInput[] = [];
    const now = new Date(this.deps.ctx.clock.now()).toISOString();
    const identity = `xmpp:${bare}`;
    const { id: source, config } = this.deps.ctx;
    const end = (e: Emitted): void => {
      batch.push({ identity, source, endpoint: e.endpoint, category: config.collect.category, availability: 'available', until: now });
      if (e.machine !== undefined) batch.push({ identity, source, endpoint: e.endpoint, category: 'machine', machineState: 'active', until: now });
    };
    if (chosen === undefined) {
      if (prev === undefined) return;
      this.emitted.delete(bare);
      end(prev);
    } else {
      const p = m!.get(chosen)!.presence;
      const state = toNeutral(p, config.collect.show);
      const key = JSON.stringify([state.availability, state.text ?? null, p.idleSince ?? null]);
      if (prev !== undefined && prev.endpoint === chosen && prev.key === key) return;
      if (prev !== undefined && prev.endpoint !== chosen) end(prev);
      const sig: SignalInput = { identity, source, endpoint: chosen, category: config.collect.category, availability: state.availability };
      if (state.text !== undefined) sig.activity = { text: state.text };
      batch.push(sig);
      const next: { endpoint: string; key: string; machine?: number } = { endpoint: chosen, key };
      if (p.idleSince !== undefined) {
        // The last input is the idle time: the hub's idle rules turn it inactive, then away.
        batch.push({ identity, source, endpoint: chosen, category: 'machine', machineState: 'active', sourceTime: new Date(p.idleSince).toISOString() });
        next.machine = p.idleSince;
      } else if (prev?.machine !== undefined && prev.endpoint === chosen) {
        batch.push({ identity, source, endpoint: chosen, category: 'machine', machineState: 'active', until: now });
      }
      this.emitted.set(bare, next);
    }
    this.send(bare, batch);
  }

  private send(bare: string, batch: SignalInput[]): void {
    const { ctx } = this.deps;
    this.chain = this.chain.then(async () => {
      try {
        const r = await ctx.emit(batch);
        ctx.report.count('signals', r.accepted);
        if (r.refused.length > 0) {
          ctx.report.count('signals_refused', r.refused.length);
          ctx.log.warn({ jid: bare, code: r.refused[0]!.code, detail: r.refused[0]!.detail }, 'XMPP presence refused by the hub');
        }
      } catch (e) {
        // The hub could not take it (queue full, Redis away): sent again with the next change.
        this.emitted.delete(bare);
        ctx.log.warn({ jid: bare, err: errorMessage(e) }, 'XMPP presence not accepted by the hub');
        ctx.report.error(e);
      }
    });
  }
}
