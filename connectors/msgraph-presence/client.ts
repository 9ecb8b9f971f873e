import { ResponseType, type Client } from '@microsoft/microsoft-graph-client';
import { graphCall, graphWrite } from '../msgraph-shared/graph-client.ts';
import { parseGraph, presenceCollectionSchema, type GraphPresence, type GraphSubscription } from '../msgraph-shared/schemas.ts';
import { GraphSubscriptionApi } from '../msgraph-shared/subscription-api.ts';
import type { GraphPair } from './map.ts';

/** ISO 8601 duration for setPresence (PT5M..PT4H). */
export function isoDuration(ms: number): string {
  const m = Math.max(5, Math.min(240, Math.round(ms / 60_000)));
  return `PT${Math.floor(m / 60) > 0 ? `${Math.floor(m / 60)}H` : ''}${m % 60 > 0 ? `${m % 60}M` : ''}`;
}

/** The only code speaking Graph's presence API (cloudcommunications-getpresencesbyuserid, presence-setpresence, ...). */
export class PresenceClient {
  constructor(private readonly app: Client) {}

  async getPresences(ids: readonly string[]): Promise<GraphPresence[]> {
    const body = await graphCall('getPresencesByUserId', () => this.app.api('/communications/getPresencesByUserId').post({ ids }));
    return parseGraph(presenceCollectionSchema, body, 'getPresencesByUserId').value;
  }
  /** The presence writes: any 2xx is success, whatever its body (graphWrite). */
  private write(what: string, path: string, body: unknown): Promise<void> {
    return graphWrite(what, () => this.app.api(path).responseType(ResponseType.RAW).post(body));
  }
  async setPresence(userId: string, sessionId: string, pair: GraphPair, expirationMs: number): Promise<void> {
    await this.write('setPresence', `/users/${encodeURIComponent(userId)}/presence/setPresence`, { sessionId, availability: pair.availability, activity: pair.activity, expirationDuration: isoDuration(expirationMs) });
  }
  /** 404 means there was no session: already what we want. */
  async clearPresence(userId: string, sessionId: string): Promise<void> {
    try {
      await this.write('clearPresence', `/users/${encodeURIComponent(userId)}/presence/clearPresence`, { sessionId });
    } catch (e) {
      if ((e as { status?: number }).status !== 404) throw e;
    }
  }
  async setPreferred(userId: string, pair: GraphPair, expirationMs: number): Promise<void> {
    await this.write('setUserPreferredPresence', `/users/${encodeURIComponent(userId)}/presence/setUserPreferredPresence`, { availability: pair.availability, activity: pair.activity, expirationDuration: isoDuration(expirationMs) });
  }
  async clearPreferred(userId: string): Promise<void> {
    await this.write('clearUserPreferredPresence', `/users/${encodeURIComponent(userId)}/presence/clearUserPreferredPresence`, {});
  }
}

/** Presence subscriptions, made with a service account's delegated token (changenotifications-for-presence). */
export class SubscriptionClient extends GraphSubscriptionApi {
  /** `graphBaseUrl`: the only origin a next link of the list is followed to (the token goes nowhere else). */
  constructor(delegated: Client, graphBaseUrl: string) {
    super(delegated, graphBaseUrl, 'subscription');
  }

  static resourceFor(ids: readonly string[]): string {
    return `/communications/presences?$filter=id in (${ids.map((i) => `'${i.replace(/'/g, "''")}'`).join(',')})`;
  }
  /**
   * The subscriptions this app holds for the service account: a left-over presence subscription on
   * a later page (the account holds others of this app: mail, calendars) must still be found and
   * deleted, or the account cannot make its one presence subscription.
   */
  override async list(maxPages = 50): Promise<GraphSubscription[]> {
    return super.list(maxPages);
  }
  async reauthorize(id: string): Promise<void> {
    await graphCall('reauthorize subscription', () => this.graph.api(`/subscriptions/${encodeURIComponent(id)}/reauthorize`).post({}));
  }
}
