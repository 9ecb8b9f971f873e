import type { ConnectorContext } from '../../core/connector/contract.ts';
import { CLASS_MIDPOINT } from '../../core/model/availability.ts';
import type { SignalInput } from '../../core/model/signal.ts';
import { HubError, errorMessage } from '../../core/errors.ts';
import { decryptNotificationContent } from '../msgraph-shared/crypto.ts';
import { isStopped } from '../msgraph-shared/pacer.ts';
import { parseGraph, richPresenceSchema, type ChangeNotification } from '../msgraph-shared/schemas.ts';
import type { PresenceClient } from './client.ts';
import type { PresenceConfig } from './config.ts';
import type { LoopGuard } from './loop-guard.ts';
import { graphToNeutral, samePair, type GraphPair } from './map.ts';
import type { SubscriptionManager } from './subscriptions.ts';

/**
 * The user id a notification's `resource` names when it carries no `resourceData.id`, in the forms
 * Microsoft publishes: `communications/presences('{id}')`, `communications/presences/{id}`
 * (changenotifications-for-presence), `users/{id}/presence`, and a one-id filter
 * `communications/presences?$filter=id+in+(%27{id}%27)` (the 2024 basic notification example).
 */
export function idOfResource(resource: string | undefined): string | undefined {
  if (resource === undefined) return undefined;
  let r = resource.replace(/\+/g, ' ');
  try {
    r = decodeURIComponent(r);
  } catch {
    // Not percent-encoded after all: read as it is.
  }
  const m = /presences\('?([^')/]+)'?\)/.exec(r) ?? /presences\/([^/?')]+)\/?$/.exec(r) ?? /users\/([^/?]+)\/presence\/?$/.exec(r) ?? /\bid\s+in\s*\(\s*'([^',)]+)'\s*\)/i.exec(r);
  return m?.[1];
}

export interface Reading {
  id: string;
  availability: string;
  activity: string;
  sequenceNumber?: string | null;
}

/**
 * Turns Teams presence readings (polls, basic and rich notifications) into `device` signals:
 * drops out-of-order readings by sequenceNumber (lexicographically sortable, Graph presence
 * resource), drops the hub's own writes coming back (loop guard), and emits only changes.
 */
export class PresenceCollector {
  private readonly seq = new Map<string, string>();
  private readonly emitted = new Map<string, GraphPair>();
  constructor(
    private readonly o: {
      ctx: ConnectorContext<PresenceConfig>;
      client: PresenceClient;
      guard: LoopGuard;
      subs?: SubscriptionManager;
      /** Saves the loop guard's record (a new real reading) to the shared state. */
      persist?: () => Promise<void>;
      /** States the hub's reconciliation says Teams may show from the hub, per Graph user. */
      mayShow?: (userId: string) => readonly GraphPair[];
    },
  ) {}

  /** Applies readings; returns the ids whose Teams state changed (for stall detection). */
  async apply(readings: readonly Reading[]): Promise<string[]> {
    const { ctx, guard } = this.o;
    const now = ctx.clock.now();
    const out: SignalInput[] = [];
    const sent: [string, GraphPair][] = [];
    const changed: string[] = [];
    for (const r of readings) {
      const last = this.seq.get(r.id);
      if (r.sequenceNumber != null && last !== undefined && r.sequenceNumber < last) {
        ctx.report.count('out_of_order_dropped');
        continue;
      }
      if (r.sequenceNumber != null) this.seq.set(r.id, r.sequenceNumber);
      const pair = { availability: r.availability, activity: r.activity };
      if (guard.classify(r.id, pair, now, this.o.mayShow?.(r.id)) === 'echo') {
        ctx.report.count('echo_dropped');
        continue;
      }
      if (samePair(this.emitted.get(r.id), pair)) continue;
      changed.push(r.id);
      const n = graphToNeutral(r.availability, r.activity);
      sent.push([r.id, pair]);
      const s: SignalInput = {
        identity: `entra:${r.id}`,
        source: ctx.id,
        endpoint: 'teams',
        category: 'device',
        availability: CLASS_MIDPOINT[n.availability ?? 'offline'],
        sourceTime: new Date(now).toISOString(),
      };
      if (n.availability === undefined) {
        // PresenceUnknown (a documented value: no Teams presence to report), or values this map
        // cannot read: Teams no longer says what it said before. The reading replaces the last
        // one and expires at once, so an earlier Busy or In a call does not stay behind for ever.
        ctx.report.count('unknown_presence');
        s.until = s.sourceTime!;
        out.push(s);
        continue;
      }
      if (n.activityToken !== undefined) s.activity = n.unknown === undefined ? n.activityToken : { token: n.activityToken, text: `Teams: ${n.unknown}`.slice(0, 256) };
      // Offline with no activity of the user's choosing means no Teams client is signed in: Teams
      // then knows nothing, it does not know the person is unreachable. The register expires at
      // once, so a PBX call still shows instead of being outranked by an "offline" that is only
      // Teams' absence. Off work (appear offline) is the user's choice and counts.
      if (n.availability === 'offline' && n.activityToken === undefined) s.until = s.sourceTime!;
      out.push(s);
    }
    if (out.length > 0) {
      const res = await ctx.emit(out);
      // Remembered only once the hub took them: a reading whose emit failed (Redis away, 503) is
      // emitted again by the next poll instead of being taken for already sent.
      for (const [id, pair] of sent) this.emitted.set(id, pair);
      ctx.report.count('signals', res.accepted);
      if (res.refused.length > 0) ctx.report.count('signals_refused', res.refused.length);
    }
    await this.o.persist?.();
    return changed;
  }

  /** Polls `ids` in batches of at most 650, `concurrency` at a time, paced by the shared budget. */
  async poll(ids: readonly string[]): Promise<{ changed: string[]; failed: number }> {
    const { batchSize, concurrency } = this.o.ctx.config.poll;
    const batches: string[][] = [];
    for (let i = 0; i < ids.length; i += batchSize) batches.push(ids.slice(i, i + batchSize));
    const changed: string[] = [];
    let failed = 0;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < batches.length) {
        const b = batches[next++]!;
        try {
          changed.push(...(await this.apply(await this.o.client.getPresences(b))));
          this.o.ctx.report.count('poll_requests');
        } catch (e) {
          if (isStopped(e)) return; // the connector stops: the rest is not sent, and that is no failure
          failed++;
          this.o.ctx.log.warn({ code: (e as HubError).code }, `presence poll batch failed: ${errorMessage(e)}`);
          this.o.ctx.report.error(e);
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, batches.length) }, worker));
    return { changed, failed };
  }

  /** Notifications after the listener answered 202. */
  async onNotifications(items: readonly ChangeNotification[]): Promise<void> {
    const { ctx } = this.o;
    const key = ctx.config.subscriptions?.encryptionPrivateKey;
    const rich: Reading[] = [];
    const fetchIds = new Set<string>();
    for (const n of items) {
      try {
        if (n.lifecycleEvent !== undefined) {
          await this.o.subs?.lifecycle(n);
          continue;
        }
        this.o.subs?.noteNotification(n.subscriptionId);
        ctx.report.count('notifications');
        if (n.encryptedContent != null && key !== undefined) {
          rich.push(parseGraph(richPresenceSchema, decryptNotificationContent(n.encryptedContent, key), 'rich presence notification'));
        } else {
          // Basic notifications carry only the id since 2024: fetch the presence.
          const id = n.resourceData?.id ?? idOfResource(n.resource);
          if (id === undefined) throw new HubError('HUB_ERR_GRAPH_MALFORMED', 'change notification without a resource id', { kind: 'transient' });
          fetchIds.add(id);
        }
      } catch (e) {
        if (!isStopped(e)) ctx.report.error(e);
      }
    }
    try {
      if (rich.length > 0) await this.apply(rich);
      if (fetchIds.size > 0) await this.poll([...fetchIds]);
      ctx.report.ok();
    } catch (e) {
      if (!isStopped(e)) ctx.report.error(e);
    }
  }
}
