import type { Client } from '@microsoft/microsoft-graph-client';
import { allPages, graphCall } from './graph-client.ts';
import { parseGraph, subscriptionCollectionSchema, subscriptionSchema, type GraphSubscription } from './schemas.ts';

/**
 * Graph's subscription resource (subscription-post-subscriptions, -list, -update, -delete) through
 * whichever client holds the subscriptions: the app's (calendar events) or a service account's
 * delegated one (presence). `what` names them in errors ("create event subscription: ...").
 */
export class GraphSubscriptionApi {
  /** `graphBaseUrl`: the only origin a next link of the list is followed to (the token goes nowhere else). */
  constructor(
    protected readonly graph: Client,
    private readonly graphBaseUrl: string,
    private readonly what: string,
  ) {}

  async create(body: Record<string, unknown>): Promise<GraphSubscription> {
    const r = await graphCall(`create ${this.what}`, () => this.graph.api('/subscriptions').post(body));
    return parseGraph(subscriptionSchema, r, 'subscription');
  }

  /**
   * Every subscription the client holds, page by page (Graph pages the list with @odata.nextLink: a
   * left-over subscription on a later page must still be found), at most `maxPages` pages.
   */
  async list(maxPages: number): Promise<GraphSubscription[]> {
    return allPages({
      first: '/subscriptions',
      graphBaseUrl: this.graphBaseUrl,
      what: 'subscriptions',
      maxPages,
      read: async (path) => {
        const r = parseGraph(subscriptionCollectionSchema, await graphCall('list subscriptions', () => this.graph.api(path).get()), 'subscriptions');
        return { value: r.value, next: r['@odata.nextLink'] };
      },
    });
  }

  /** Renewal: PATCH expirationDateTime; the answer says what Graph granted. */
  async renew(id: string, expiration: number): Promise<GraphSubscription> {
    const r = await graphCall(`renew ${this.what}`, () => this.graph.api(`/subscriptions/${encodeURIComponent(id)}`).patch({ expirationDateTime: new Date(expiration).toISOString() }));
    return parseGraph(subscriptionSchema, r, 'subscription');
  }

  /** 404 means it is gone already. */
  async remove(id: string): Promise<void> {
    try {
      await graphCall(`delete ${this.what}`, () => this.graph.api(`/subscriptions/${encodeURIComponent(id)}`).delete());
    } catch (e) {
      if ((e as { status?: number }).status !== 404) throw e;
    }
  }
}
