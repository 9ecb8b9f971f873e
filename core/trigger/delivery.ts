/**
 * Delivering a firing as a signed webhook (docs/triggers.md; the signing and the destination policy
 * of core/watch/webhooks.ts): retried with backoff up to `maxAttempts`, the outbox entry removed
 * once delivered or dropped, the delivery status stored for every node to show. At least once: a
 * node that dies after the receiver answered and before the outbox entry is removed leaves it for
 * the next holder, which delivers it again with the same id (FIRING_HEADER).
 */
import type { ConnectorStore } from '../connector/contract.ts';
import { backoffDelay } from '../connector/backoff.ts';
import { errorMessage } from '../errors.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import type { DestinationPolicy } from '../watch/destination-policy.ts';
import { deliverSigned } from '../watch/webhooks.ts';
import type { Firing, Live } from './model.ts';

/** The firing's id on every delivery of it (also `firing` in the body): the receiver's key to drop a repeat. */
export const FIRING_HEADER = 'x-presence-hub-firing';

export class TriggerDelivery {
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(
    private readonly deps: {
      store: ConnectorStore;
      policy: DestinationPolicy;
      clock: Clock;
      log: Logger;
      timeoutMs: number;
      maxAttempts: number;
      backoff?: { baseMs: number; maxMs: number };
      /** Whether this node still evaluates `t` (a retry of a trigger removed or handed over is not sent). */
      current: (t: Live) => boolean;
    },
  ) {}

  deliver(t: Live, f: Firing, outKey: string, attempt: number): void {
    if (t.def.action.type !== 'webhook' || t.secret === undefined) return;
    const url = t.def.action.url;
    const body = JSON.stringify({ trigger: f.trigger, firing: f.firing, at: f.at, people: f.people });
    void (async () => {
      try {
        await deliverSigned(url, t.secret!, body, {
          headers: { [FIRING_HEADER]: f.firing },
          timeoutMs: this.deps.timeoutMs,
          policy: this.deps.policy,
          clock: this.deps.clock,
          log: this.deps.log.child({ trigger: t.def.id }),
          what: `trigger ${t.def.id} webhook`,
        });
      } catch (e) {
        const lastError = errorMessage(e);
        // Handed over while the request was under way: the next holder owns the status now.
        if (!this.deps.current(t)) {
          this.deps.log.info({ trigger: t.def.id, firing: f.firing }, `trigger ${t.def.id}: delivery of firing ${f.firing} failed after this node stopped evaluating (${lastError}); left to the next holder`);
          return;
        }
        t.status = { delivered: t.status.delivered, failures: t.status.failures + 1, lastError };
        await this.deps.store.set([[`status:${t.def.id}`, JSON.stringify(t.status)]]).catch(() => undefined);
        if (!this.deps.current(t)) return;
        if (attempt + 1 >= this.deps.maxAttempts) {
          this.deps.log.warn({ trigger: t.def.id, firing: f.firing }, `trigger ${t.def.id}: firing ${f.firing} dropped after ${attempt + 1} failed deliveries: ${lastError}`);
          await this.deps.store.delete([outKey]).catch(() => undefined);
          return;
        }
        const timer = setTimeout(() => {
          this.timers.delete(timer);
          if (this.deps.current(t)) this.deliver(t, f, outKey, attempt + 1);
        }, backoffDelay(attempt + 1, this.deps.backoff ?? { baseMs: 1000, maxMs: 300_000 }));
        timer.unref?.();
        this.timers.add(timer);
        return;
      }
      // Delivered: a store that refuses the record now is no failed delivery (nothing is sent
      // again from here); the removal is tried again while this node evaluates, and if it never
      // lands the next holder delivers the firing once more, with the same id. Every attempt, the
      // first included, is made only while this node still evaluates the trigger: made after the
      // handover, the status write would overwrite the next holder's delivery count.
      t.status = { delivered: t.status.delivered + 1, failures: t.status.failures };
      for (let attempt = 1; ; attempt++) {
        if (!this.deps.current(t)) {
          this.deps.log.info({ trigger: t.def.id, firing: f.firing }, `trigger ${t.def.id}: delivery of firing ${f.firing} not recorded; left to the next holder`);
          return;
        }
        try {
          await this.deps.store.delete([outKey]);
          await this.deps.store.set([[`status:${t.def.id}`, JSON.stringify(t.status)]]);
          return;
        } catch (e) {
          if (attempt === 1) this.deps.log.warn({ trigger: t.def.id, err: errorMessage(e) }, `trigger ${t.def.id}: delivery of firing ${f.firing} not recorded yet; trying again`);
          await new Promise((r) => setTimeout(r, backoffDelay(attempt, { baseMs: 200, maxMs: 5000 })).unref?.());
        }
      }
    })();
  }

  /** Cancels the waiting retries (this node stops evaluating); their firings stay in the outbox. */
  clear(): void {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
