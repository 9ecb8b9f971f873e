import type { Client } from '@microsoft/microsoft-graph-client';
import { allPages, graphCall } from '../msgraph-shared/graph-client.ts';
import { automaticRepliesSchema, parseGraph, scheduleCollectionSchema, subscriptionCollectionSchema, subscriptionSchema, type GraphSubscription, type ScheduleInformation } from '../msgraph-shared/schemas.ts';

const dt = (ms: number) => ({ dateTime: new Date(ms).toISOString().replace('Z', ''), timeZone: 'UTC' });

/** The only code speaking Graph's calendar API (calendar-getschedule, mailboxSettings). */
export class CalendarClient {
  /** `graphBaseUrl`: the only origin a next link is followed to (the token goes nowhere else). */
  constructor(
    private readonly app: Client,
    private readonly graphBaseUrl: string,
  ) {}

  /** getSchedule on behalf of the first mailbox of the batch (application permissions need a user in the path). */
  async getSchedule(mailboxes: readonly string[], start: number, end: number, intervalMin: number): Promise<ScheduleInformation[]> {
    const body = await graphCall('getSchedule', () =>
      this.app
        .api(`/users/${encodeURIComponent(mailboxes[0]!)}/calendar/getSchedule`)
        .header('Prefer', 'outlook.timezone="UTC"')
        .post({ schedules: mailboxes, startTime: dt(start), endTime: dt(end), availabilityViewInterval: intervalMin }),
    );
    return parseGraph(scheduleCollectionSchema, body, 'getSchedule').value;
  }

  /** Change notifications on a mailbox's events (subscription: create; Outlook events, basic notifications). */
  async subscribe(body: Record<string, unknown>): Promise<GraphSubscription> {
    const r = await graphCall('create event subscription', () => this.app.api('/subscriptions').post(body));
    return parseGraph(subscriptionSchema, r, 'subscription');
  }
  /** Every subscription this app holds (subscription-list, app-only: all of the app's), page by page, at most `maxPages`. */
  async subscriptions(maxPages: number): Promise<GraphSubscription[]> {
    return allPages({
      first: '/subscriptions',
      graphBaseUrl: this.graphBaseUrl,
      what: 'subscriptions',
      maxPages,
      read: async (path) => {
        const r = parseGraph(subscriptionCollectionSchema, await graphCall('list subscriptions', () => this.app.api(path).get()), 'subscriptions');
        return { value: r.value, next: r['@odata.nextLink'] };
      },
    });
  }
  /** Renewal: PATCH expirationDateTime; the answer says what Graph granted. */
  async renew(id: string, expiration: number): Promise<GraphSubscription> {
    const r = await graphCall('renew event subscription', () => this.app.api(`/subscriptions/${encodeURIComponent(id)}`).patch({ expirationDateTime: new Date(expiration).toISOString() }));
    return parseGraph(subscriptionSchema, r, 'subscription');
  }
  /** 404 means it is gone already. */
  async unsubscribe(id: string): Promise<void> {
    try {
      await graphCall('delete event subscription', () => this.app.api(`/subscriptions/${encodeURIComponent(id)}`).delete());
    } catch (e) {
      if ((e as { status?: number }).status !== 404) throw e;
    }
  }

  async automaticReplies(mailbox: string) {
    const body = await graphCall('automaticRepliesSetting', () => this.app.api(`/users/${encodeURIComponent(mailbox)}/mailboxSettings/automaticRepliesSetting`).get());
    return parseGraph(automaticRepliesSchema, body, 'automaticRepliesSetting');
  }
}
