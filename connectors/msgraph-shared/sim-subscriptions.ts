import { randomUUID } from 'node:crypto';
import type { Clock } from '../../core/util/clock.ts';
import { encryptNotificationContent } from './crypto.ts';
import type { SimTokenIssuer } from './sim-jwks.ts';

/**
 * Subscriptions as Graph keeps them (change-notifications-delivery-webhooks, changenotifications-for-
 * presence): created only after the notification URL (and the lifecycle URL) answered the
 * validationToken handshake; presence resources at most 650 ids; lifetime 45-60 minutes.
 */
export interface SimSubscription {
  id: string;
  /** presence: communications/presences; events: /users/{id}/events (Outlook, basic notifications). */
  kind?: 'presence' | 'events';
  resource: string;
  ids: string[];
  changeType: string;
  notificationUrl: string;
  lifecycleNotificationUrl?: string;
  clientState?: string;
  expirationDateTime: number;
  includeResourceData: boolean;
  encryptionCertificate?: string;
  encryptionCertificateId?: string;
  /** The user that created it (one presence subscription per user per app); the app for application permissions. */
  owner: string;
  appId: string;
}

export interface Delivery {
  subscriptionId: string;
  url: string;
  status: number;
  ms: number;
  kind: 'validation' | 'change' | 'lifecycle';
  body?: string;
}

const MIN_LIFETIME = 45 * 60_000;
const MAX_LIFETIME = 60 * 60_000;
/** Outlook message, event, contact: 10 080 minutes (under 7 days), subscription resource type. */
export const MAX_EVENTS_LIFETIME = 10_080 * 60_000;

/** Parses `/users/{id}/events` (or `users/{id}/events`, `me/events` is delegated only and not simulated). */
export function eventsResourceUser(resource: string): string | undefined {
  const m = /^\/?users\/([^/?]+)\/events$/i.exec(decodeURIComponent(resource));
  return m === null ? undefined : m[1];
}

/** Parses `/communications/presences?$filter=id in ('a','b')` or `/communications/presences/{id}`. */
export function presenceResourceIds(resource: string): string[] | undefined {
  const r = decodeURIComponent(resource).replace(/^\//, '');
  const one = /^communications\/presences\/([^/?]+)$/i.exec(r);
  if (one !== null) return [one[1]!];
  const many = /^communications\/presences\?\$filter=id in \((.*)\)$/i.exec(r);
  if (many === null) return undefined;
  const ids = [...many[1]!.matchAll(/'([^']+)'/g)].map((m) => m[1]!);
  return ids.length > 0 ? ids : undefined;
}

export class SimSubscriptions {
  readonly subs = new Map<string, SimSubscription>();
  readonly deliveries: Delivery[] = [];
  /** While true nothing is delivered (a stalled subscription). */
  paused = false;
  constructor(
    private readonly clock: Clock,
    private readonly issuer: SimTokenIssuer,
  ) {}

  /** The expiration Graph accepts: below 45 min raised to 45, above the resource's maximum (presence 60 min) refused. */
  lifetime(requested: number, max = MAX_LIFETIME): number | 'too-long' {
    const now = this.clock.now();
    if (requested - now > max + 1000) return 'too-long';
    return Math.max(requested, now + MIN_LIFETIME);
  }

  /** The validationToken handshake: POST ?validationToken=..., text/plain, 200 with the token within 10 s. */
  async validate(url: string, subscriptionId: string): Promise<boolean> {
    const token = `Validation: Testing client application reachability for subscription Request-Id: ${randomUUID()}`;
    const started = Date.now();
    let status = 0;
    let ok = false;
    try {
      const u = new URL(url);
      u.searchParams.set('validationToken', token);
      const res = await fetch(u, { method: 'POST', headers: { 'content-type': 'text/plain; charset=utf-8' }, body: '', signal: AbortSignal.timeout(10_000) });
      status = res.status;
      const body = await res.text();
      ok = res.status === 200 && body === token && (res.headers.get('content-type') ?? '').startsWith('text/plain');
    } catch {
      ok = false;
    }
    this.deliveries.push({ subscriptionId, url, status, ms: Date.now() - started, kind: 'validation' });
    return ok;
  }

  async post(sub: SimSubscription, url: string, body: unknown, kind: Delivery['kind']): Promise<number> {
    const started = Date.now();
    let status = 0;
    const text = JSON.stringify(body);
    try {
      const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: text, signal: AbortSignal.timeout(10_000) });
      status = res.status;
      await res.text();
    } catch {
      status = 0;
    }
    this.deliveries.push({ subscriptionId: sub.id, url, status, ms: Date.now() - started, kind, body: text });
    return status;
  }

  /** Delivers change notifications for presence changes of `presences` to every live subscription covering them. */
  async deliverPresence(presences: { id: string; availability: string; activity: string; sequenceNumber: string }[], tenantId: string): Promise<void> {
    if (this.paused) return;
    const now = this.clock.now();
    const jobs: Promise<number>[] = [];
    for (const sub of this.subs.values()) {
      if (sub.expirationDateTime <= now) continue;
      const mine = presences.filter((p) => sub.ids.includes(p.id));
      if (mine.length === 0) continue;
      const value = mine.map((p) => {
        const n: Record<string, unknown> = {
          subscriptionId: sub.id,
          clientState: sub.clientState ?? null,
          changeType: 'updated',
          resource: `communications/presences('${p.id}')`,
          subscriptionExpirationDateTime: new Date(sub.expirationDateTime).toISOString(),
          tenantId,
          organizationId: tenantId,
          // Since the 2024 breaking change a basic presence notification carries only the id.
          resourceData: { '@odata.type': '#Microsoft.Graph.presence', '@odata.id': `users/${p.id}/presence`, id: p.id },
        };
        if (sub.includeResourceData && sub.encryptionCertificate !== undefined) {
          n.encryptedContent = encryptNotificationContent(
            { '@odata.type': '#Microsoft.Graph.presence', '@odata.id': `communications/presences('${p.id}')`, id: p.id, availability: p.availability, activity: p.activity, sequenceNumber: p.sequenceNumber },
            sub.encryptionCertificate,
            sub.encryptionCertificateId ?? 'sim',
          );
        }
        return n;
      });
      jobs.push(
        (async () => {
          const body: Record<string, unknown> = { value };
          // One validation token per (app, tenant) pair of the batch (webhooks with resource data).
          if (sub.includeResourceData) body.validationTokens = [await this.issuer.sign({ appId: sub.appId, tenantId, now })];
          return this.post(sub, sub.notificationUrl, body, 'change');
        })(),
      );
    }
    await Promise.all(jobs);
  }

  /**
   * Basic change notifications for Outlook events of `userId` (resource `Users/{id}/Events/{id}`,
   * resourceData with @odata.type #Microsoft.Graph.Event and the event id only).
   */
  async deliverEvents(userId: string, changes: { eventId: string; changeType: 'created' | 'updated' | 'deleted' }[], tenantId: string): Promise<void> {
    if (this.paused || changes.length === 0) return;
    const now = this.clock.now();
    const jobs: Promise<number>[] = [];
    for (const sub of this.subs.values()) {
      if (sub.kind !== 'events' || sub.expirationDateTime <= now || !sub.ids.includes(userId)) continue;
      const wanted = sub.changeType.split(',').map((c) => c.trim());
      const value = changes
        .filter((c) => wanted.includes(c.changeType))
        .map((c) => ({
          subscriptionId: sub.id,
          subscriptionExpirationDateTime: new Date(sub.expirationDateTime).toISOString(),
          changeType: c.changeType,
          resource: `Users/${userId}/Events/${c.eventId}`,
          resourceData: { '@odata.type': '#Microsoft.Graph.Event', '@odata.id': `Users/${userId}/Events/${c.eventId}`, '@odata.etag': `W/"${randomUUID()}"`, id: c.eventId },
          clientState: sub.clientState ?? null,
          tenantId,
        }));
      if (value.length > 0) jobs.push(this.post(sub, sub.notificationUrl, { value }, 'change'));
    }
    await Promise.all(jobs);
  }

  /** Sends a lifecycle event (change-notifications-lifecycle-events). */
  async lifecycle(id: string, event: 'reauthorizationRequired' | 'subscriptionRemoved' | 'missed', tenantId: string): Promise<number> {
    const sub = this.subs.get(id);
    if (sub === undefined) throw new Error(`no subscription ${id}`);
    const url = sub.lifecycleNotificationUrl ?? sub.notificationUrl;
    const body = {
      value: [
        {
          subscriptionId: sub.id,
          subscriptionExpirationDateTime: new Date(sub.expirationDateTime).toISOString(),
          tenantId,
          clientState: sub.clientState ?? null,
          lifecycleEvent: event,
        },
      ],
    };
    if (event === 'subscriptionRemoved') this.subs.delete(id);
    return this.post(sub, url, body, 'lifecycle');
  }
}
