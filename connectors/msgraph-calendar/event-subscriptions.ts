import type { HealthReporter } from '../../core/connector/contract.ts';
import type { Clock } from '../../core/util/clock.ts';
import { errorMessage, type HubError } from '../../core/errors.ts';
import type { Logger } from '../../core/util/logger.ts';
import { isStopped, stoppedError } from '../msgraph-shared/pacer.ts';
import type { ChangeNotification } from '../msgraph-shared/schemas.ts';
import type { CalendarClient } from './client.ts';
import type { CalendarConfig } from './config.ts';

type SubConfig = NonNullable<CalendarConfig['subscriptions']>;
interface Sub {
  id: string;
  expiresAt: number;
  renewAt: number;
}

/**
 * One change-notification subscription per mailbox on `/users/{mailbox}/events` (created, updated,
 * deleted; basic notifications, application permission Calendars.Read). Each is renewed
 * `renewBefore` its expiry as Graph answered it (Outlook events live at most 10 080 minutes; Graph
 * may grant less than asked), recreated when it expired, was removed, or renewal says 404, and
 * deleted when its mailbox leaves the list. A notification only says "look again": the collector
 * re-reads that mailbox's free/busy (getSchedule), so no event body is ever read.
 *
 * A run that ended without deleting its subscriptions (a crash, a lost lease) leaves them for up
 * to a week, each still notifying (counted `notifications_unknown_subscription`) and counting
 * towards the mailbox's limit; so the first maintenance of a run lists the app's subscriptions
 * (every page) and deletes the events subscriptions to this `notificationUrl` it does not hold;
 * if that fails (the listing or a delete), every later maintenance tries again until it succeeded.
 */
export class EventSubscriptions {
  private readonly subs = new Map<string, Sub>();
  private readonly byId = new Map<string, string>();
  private cleaned = false;
  /** `active`: false once the connector stops; no create, renew or delete is issued after that (the stop's own stopAll() aside). */
  constructor(private readonly o: { client: CalendarClient; config: SubConfig; clock: Clock; log: Logger; report: HealthReporter; active: () => boolean }) {}

  mailboxOf(subscriptionId: string): string | undefined {
    return this.byId.get(subscriptionId);
  }
  /** For health and tests: mailbox -> subscription. */
  current(): ReadonlyMap<string, Readonly<Sub>> {
    return this.subs;
  }

  private set(mbx: string, id: string, expirationDateTime: string): void {
    const now = this.o.clock.now();
    const expiresAt = Date.parse(expirationDateTime);
    // Renew renewBefore ahead; if Graph granted less than that, halfway through what it granted.
    const renewAt = expiresAt - now > 2 * this.o.config.renewBefore ? expiresAt - this.o.config.renewBefore : now + (expiresAt - now) / 2;
    const old = this.subs.get(mbx);
    if (old !== undefined) this.byId.delete(old.id);
    this.subs.set(mbx, { id, expiresAt, renewAt });
    this.byId.set(id, mbx);
  }

  private drop(mbx: string): void {
    const s = this.subs.get(mbx);
    if (s !== undefined) this.byId.delete(s.id);
    this.subs.delete(mbx);
  }

  private async create(mbx: string): Promise<void> {
    const c = this.o.config;
    const body: Record<string, unknown> = {
      changeType: 'created,updated,deleted',
      notificationUrl: c.notificationUrl,
      resource: `/users/${encodeURIComponent(mbx)}/events`,
      expirationDateTime: new Date(this.o.clock.now() + c.lifetime).toISOString(),
      clientState: c.clientState,
    };
    if (c.lifecycleNotificationUrl !== undefined) body.lifecycleNotificationUrl = c.lifecycleNotificationUrl;
    const s = await this.o.client.subscribe(body);
    this.set(mbx, s.id, s.expirationDateTime);
    this.o.report.count('subscriptions_created');
  }

  private async renew(mbx: string, sub: Sub): Promise<void> {
    const s = await this.o.client.renew(sub.id, this.o.clock.now() + this.o.config.lifetime);
    this.set(mbx, s.id, s.expirationDateTime);
    this.o.report.count('subscriptions_renewed');
  }

  /** Creates, renews, heals and retires subscriptions for `mailboxes`; returns mailboxes (re)subscribed just now, whose changes may have been missed. */
  async maintain(mailboxes: readonly string[]): Promise<string[]> {
    if (!this.o.active()) return [];
    if (!this.cleaned) {
      // Marked done only once it succeeded: a listing (or a delete) that failed is tried again at the next maintenance.
      try {
        await this.removeLeftovers(mailboxes.length);
        this.cleaned = true;
      } catch (e) {
        if (!isStopped(e)) this.o.log.warn({ code: (e as HubError).code }, `event subscriptions: left-over subscriptions not removed (tried again at the next maintenance): ${errorMessage(e)}`);
      }
    }
    const now = this.o.clock.now();
    const fresh: string[] = [];
    const wanted = new Set(mailboxes);
    for (const [mbx, s] of [...this.subs]) {
      if (wanted.has(mbx)) continue;
      // Checked before every request: a stop during an earlier one ends the pass there.
      if (!this.o.active()) return fresh;
      this.drop(mbx);
      await this.o.client.unsubscribe(s.id).catch(() => undefined);
    }
    for (const mbx of mailboxes) {
      if (!this.o.active()) break;
      const s = this.subs.get(mbx);
      try {
        if (s === undefined || s.expiresAt <= now) {
          await this.create(mbx);
          if (s !== undefined) fresh.push(mbx);
        } else if (now >= s.renewAt) {
          await this.renew(mbx, s);
        }
      } catch (e) {
        if (isStopped(e)) break;
        this.o.log.warn({ mailbox: mbx, code: (e as HubError).code }, `event subscription: ${errorMessage(e)}`);
        this.o.report.error(e);
        // Gone on Graph's side: forget it, the next tick creates a new one.
        if ((e as HubError).code === 'HUB_ERR_GRAPH_NOT_FOUND') this.drop(mbx);
      }
    }
    return fresh;
  }

  /** Deletes the app's events subscriptions to this notificationUrl that this run does not hold. */
  private async removeLeftovers(mailboxes: number): Promise<void> {
    // App-only, the list holds every subscription of the app: about one per mailbox, 100 a page.
    const all = await this.o.client.subscriptions(Math.max(50, Math.ceil(mailboxes / 50) + 10));
    const left = all.filter((s) => /^\/?users\/[^/]+\/events$/i.test(s.resource) && s.notificationUrl === this.o.config.notificationUrl && !this.byId.has(s.id));
    for (const s of left) {
      if (!this.o.active()) throw stoppedError();
      await this.o.client.unsubscribe(s.id);
    }
    if (left.length > 0) this.o.report.count('subscriptions_left_over_removed', left.length);
  }

  /**
   * Lifecycle events (change-notifications-lifecycle-events): reauthorizationRequired renews (which
   * also reauthorizes), subscriptionRemoved recreates, missed asks for a re-read. Returns the
   * mailbox to re-read, if any.
   */
  async lifecycle(n: ChangeNotification): Promise<string | undefined> {
    const mbx = this.mailboxOf(n.subscriptionId);
    if (mbx === undefined || !this.o.active()) return mbx;
    this.o.report.count(`lifecycle_${n.lifecycleEvent ?? 'unknown'}`);
    try {
      if (n.lifecycleEvent === 'reauthorizationRequired') await this.renew(mbx, this.subs.get(mbx)!);
      else if (n.lifecycleEvent === 'subscriptionRemoved') {
        this.drop(mbx);
        if (this.o.active()) await this.create(mbx);
      }
    } catch (e) {
      if (!isStopped(e)) this.o.report.error(e);
      this.drop(mbx);
    }
    return mbx;
  }

  async stopAll(): Promise<void> {
    for (const [mbx, s] of [...this.subs]) {
      this.drop(mbx);
      await this.o.client.unsubscribe(s.id).catch(() => undefined);
    }
  }
}
