import type { HealthReporter } from '../../core/connector/contract.ts';
import type { Clock } from '../../core/util/clock.ts';
import { HubError, errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/util/logger.ts';
import { certificateBase64 } from '../msgraph-shared/crypto.ts';
import type { ChangeNotification } from '../msgraph-shared/schemas.ts';
import { isStopped, stoppedError } from '../msgraph-shared/pacer.ts';
import { SubscriptionClient } from './client.ts';
import type { PresenceConfig } from './config.ts';

type SubConfig = NonNullable<PresenceConfig['subscriptions']>;

export interface Shard {
  readonly index: number;
  readonly ids: readonly string[];
  sub?: { id: string; expiresAt: number };
  renewAt?: number;
  lastNotificationAt: number;
  stalled: boolean;
}

/**
 * Presence subscriptions in shards of at most 650 ids (changenotifications-for-presence), one per
 * service account (a user may hold one presence subscription per app). Each is renewed ahead of
 * its expiry with jitter (lifetime 45-60 min), reauthorized on `reauthorizationRequired`, and
 * recreated when removed, expired or stalled; ids without a healthy subscription are polled.
 */
export class SubscriptionManager {
  readonly shards: Shard[] = [];
  private warnedUncovered = false;
  /** Shards whose service account was cleared of left-over subscriptions in this run. */
  private readonly cleaned = new Set<number>();
  /** The maintenance pass under way: a timer tick, the first cycle or a call meanwhile joins it instead of running a second one beside it. */
  private maintaining: Promise<void> | undefined;
  /**
   * `active`: false once the connector stops. No create, renew or delete is issued after that (the
   * stop's own stopAll() aside): maintenance and lifecycle work check it before each request.
   */
  constructor(
    private readonly o: {
      clients: readonly SubscriptionClient[];
      config: SubConfig;
      clock: Clock;
      log: Logger;
      report: HealthReporter;
      active: () => boolean;
      random?: () => number;
    },
  ) {}

  setIds(ids: readonly string[]): void {
    this.shards.length = 0;
    for (let i = 0; i * this.o.config.shardSize < ids.length; i++) {
      this.shards.push({ index: i, ids: ids.slice(i * this.o.config.shardSize, (i + 1) * this.o.config.shardSize), lastNotificationAt: this.o.clock.now(), stalled: false });
    }
  }

  /** Ids that no healthy subscription covers now: the poller's job. */
  uncovered(): string[] {
    const now = this.o.clock.now();
    return this.shards.filter((s) => s.sub === undefined || s.sub.expiresAt <= now || s.stalled).flatMap((s) => s.ids);
  }

  shardOf(subscriptionId: string): Shard | undefined {
    return this.shards.find((s) => s.sub?.id === subscriptionId);
  }

  private body(shard: Shard, expiration: number): Record<string, unknown> {
    const c = this.o.config;
    const b: Record<string, unknown> = {
      changeType: 'updated',
      notificationUrl: c.notificationUrl,
      resource: SubscriptionClient.resourceFor(shard.ids),
      expirationDateTime: new Date(expiration).toISOString(),
      clientState: c.clientState,
      includeResourceData: false,
    };
    if (c.lifecycleNotificationUrl !== undefined) b.lifecycleNotificationUrl = c.lifecycleNotificationUrl;
    if (c.encryptionCertificate !== undefined && c.encryptionPrivateKey !== undefined) {
      b.includeResourceData = true;
      b.encryptionCertificate = certificateBase64(c.encryptionCertificate);
      b.encryptionCertificateId = c.encryptionCertificateId;
    }
    return b;
  }

  private schedule(shard: Shard, expiresAt: number): void {
    const jitter = (this.o.random ?? Math.random)() * this.o.config.jitter;
    shard.sub = { id: shard.sub!.id, expiresAt };
    shard.renewAt = expiresAt - this.o.config.renewBefore - jitter;
  }

  private async create(shard: Shard): Promise<void> {
    const client = this.o.clients[shard.index];
    if (client === undefined) {
      if (!this.warnedUncovered) {
        this.warnedUncovered = true;
        this.o.report.error(new HubError('HUB_ERR_GRAPH_SUBSCRIPTION_ACCOUNTS', `${this.shards.length} shards need ${this.shards.length} service accounts, ${this.o.clients.length} configured: the rest are polled`, { kind: 'permanent' }));
      }
      return;
    }
    // One presence subscription per user per app (changenotifications-for-presence): a run that
    // ended without deleting its own (a crash, a lease taken over) leaves it for up to an hour, and
    // the account cannot make another. So the first time in this run, and again if Graph refuses
    // with a conflict, the account's subscriptions to this notificationUrl are deleted first.
    // Marked done only once it succeeded: a listing (or a delete) that failed is tried again at the next create.
    if (!this.o.active()) throw stoppedError();
    if (!this.cleaned.has(shard.index)) {
      try {
        await this.removeLeftovers(client);
        this.cleaned.add(shard.index);
      } catch (e) {
        if (!isStopped(e)) this.o.log.warn({ shard: shard.index }, `presence subscription shard ${shard.index}: left-over subscriptions not removed (tried again at the next create): ${errorMessage(e)}`);
      }
    }
    const now = this.o.clock.now();
    const body = this.body(shard, now + this.o.config.lifetime);
    let s;
    try {
      if (!this.o.active()) throw stoppedError();
      s = await client.create(body);
    } catch (e) {
      if ((e as HubError).status !== 409 || !(await this.removeLeftovers(client))) throw e;
      if (!this.o.active()) throw stoppedError();
      s = await client.create(body);
    }
    shard.sub = { id: s.id, expiresAt: Date.parse(s.expirationDateTime) };
    shard.stalled = false;
    shard.lastNotificationAt = now;
    this.schedule(shard, Date.parse(s.expirationDateTime));
    this.o.report.count('subscriptions_created');
  }

  /** Deletes this connector's presence subscriptions the account still holds; true when there was one. */
  private async removeLeftovers(client: SubscriptionClient): Promise<boolean> {
    const known = new Set(this.shards.flatMap((x) => (x.sub === undefined ? [] : [x.sub.id])));
    const left = (await client.list()).filter((x) => /^\/?communications\/presences\b/i.test(x.resource) && x.notificationUrl === this.o.config.notificationUrl && !known.has(x.id));
    for (const x of left) {
      if (!this.o.active()) throw stoppedError();
      await client.remove(x.id);
    }
    if (left.length > 0) this.o.report.count('subscriptions_left_over_removed', left.length);
    return left.length > 0;
  }

  /**
   * Creates, renews and heals subscriptions; called at start and on every maintenance tick. A call
   * while a pass is under way joins it. The pass checks `active` before each request, so a stop
   * during one ends it there (and the stop's clean-up then finds nothing of it still running).
   */
  maintain(): Promise<void> {
    if (this.maintaining !== undefined) return this.maintaining;
    const pass = this.pass();
    this.maintaining = pass;
    const done = (): void => {
      if (this.maintaining === pass) this.maintaining = undefined;
    };
    pass.then(done, done);
    return pass;
  }

  private async pass(): Promise<void> {
    const now = this.o.clock.now();
    for (const shard of this.shards) {
      if (!this.o.active()) return;
      const client = this.o.clients[shard.index];
      try {
        if (shard.sub === undefined || shard.sub.expiresAt <= now || shard.stalled) {
          if (shard.sub !== undefined && client !== undefined) await client.remove(shard.sub.id).catch(() => undefined);
          shard.sub = undefined;
          await this.create(shard);
        } else if (client !== undefined && shard.renewAt !== undefined && now >= shard.renewAt) {
          if (!this.o.active()) return;
          const s = await client.renew(shard.sub.id, now + this.o.config.lifetime);
          // Stopped meanwhile: the stop deletes the subscription (or already has); nothing more of this pass.
          if (!this.o.active()) return;
          this.schedule(shard, Date.parse(s.expirationDateTime));
          this.o.report.count('subscriptions_renewed');
        }
      } catch (e) {
        if (isStopped(e)) return;
        this.o.log.warn({ shard: shard.index, code: (e as HubError).code }, `presence subscription shard ${shard.index}: ${errorMessage(e)}`);
        this.o.report.error(e);
        if ((e as HubError).code === 'HUB_ERR_GRAPH_NOT_FOUND') shard.sub = undefined;
      }
    }
  }

  /** A lifecycle event (change-notifications-lifecycle-events): presence only gets reauthorizationRequired. */
  async lifecycle(n: ChangeNotification): Promise<void> {
    const shard = this.shardOf(n.subscriptionId);
    const client = shard === undefined ? undefined : this.o.clients[shard.index];
    if (shard === undefined || client === undefined || !this.o.active()) return;
    this.o.report.count(`lifecycle_${n.lifecycleEvent ?? 'unknown'}`);
    try {
      if (n.lifecycleEvent === 'reauthorizationRequired') {
        // Renewing with PATCH also reauthorizes; it extends the lifetime at the same time.
        const s = await client.renew(shard.sub!.id, this.o.clock.now() + this.o.config.lifetime);
        this.schedule(shard, Date.parse(s.expirationDateTime));
      } else if (n.lifecycleEvent === 'subscriptionRemoved') {
        shard.sub = undefined;
        await this.create(shard); // checks `active` before each request
      } else if (n.lifecycleEvent === 'missed') {
        shard.stalled = true;
      }
    } catch (e) {
      if (!isStopped(e)) this.o.report.error(e);
      shard.stalled = true;
    }
  }

  noteNotification(subscriptionId: string): void {
    const s = this.shardOf(subscriptionId);
    if (s !== undefined) s.lastNotificationAt = this.o.clock.now();
  }

  /**
   * A safety sweep saw changes in a covered shard that no notification announced for `stallAfter`:
   * the subscription is stalled, its ids are polled until it is recreated (the next maintain()).
   */
  noteSweepChanges(changedIds: readonly string[]): void {
    const now = this.o.clock.now();
    const changed = new Set(changedIds);
    for (const s of this.shards) {
      if (s.sub === undefined || s.stalled) continue;
      if (now - s.lastNotificationAt >= this.o.config.stallAfter && s.ids.some((id) => changed.has(id))) {
        s.stalled = true;
        this.o.report.error(new HubError('HUB_ERR_GRAPH_SUBSCRIPTION_STALLED', `presence subscription shard ${s.index} delivered nothing while its users changed; polling it and recreating`, { kind: 'transient' }));
      }
    }
  }

  async stopAll(): Promise<void> {
    for (const s of this.shards) {
      const client = this.o.clients[s.index];
      if (s.sub !== undefined && client !== undefined) await client.remove(s.sub.id).catch(() => undefined);
      s.sub = undefined;
    }
  }
}
