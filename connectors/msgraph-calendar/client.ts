import type { Client } from '@microsoft/microsoft-graph-client';
import { graphCall } from '../msgraph-shared/graph-client.ts';
import { automaticRepliesSchema, parseGraph, scheduleCollectionSchema, type GraphSubscription, type ScheduleInformation } from '../msgraph-shared/schemas.ts';
import { GraphSubscriptionApi } from '../msgraph-shared/subscription-api.ts';

const dt = (ms: number) => ({ dateTime: new Date(ms).toISOString().replace('Z', ''), timeZone: 'UTC' });

/** The only code speaking Graph's calendar API (calendar-getschedule, mailboxSettings). */
export class CalendarClient {
  private readonly subs: GraphSubscriptionApi;

  /** `graphBaseUrl`: the only origin a next link is followed to (the token goes nowhere else). */
  constructor(
    private readonly app: Client,
    graphBaseUrl: string,
  ) {
    this.subs = new GraphSubscriptionApi(app, graphBaseUrl, 'event subscription');
  }

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
  subscribe(body: Record<string, unknown>): Promise<GraphSubscription> {
    return this.subs.create(body);
  }
  /** Every subscription this app holds (subscription-list, app-only: all of the app's), page by page, at most `maxPages`. */
  subscriptions(maxPages: number): Promise<GraphSubscription[]> {
    return this.subs.list(maxPages);
  }
  /** Renewal: PATCH expirationDateTime; the answer says what Graph granted. */
  renew(id: string, expiration: number): Promise<GraphSubscription> {
    return this.subs.renew(id, expiration);
  }
  /** 404 means it is gone already. */
  unsubscribe(id: string): Promise<void> {
    return this.subs.remove(id);
  }

  async automaticReplies(mailbox: string) {
    const body = await graphCall('automaticRepliesSetting', () => this.app.api(`/users/${encodeURIComponent(mailbox)}/mailboxSettings/automaticRepliesSetting`).get());
    return parseGraph(automaticRepliesSchema, body, 'automaticRepliesSetting');
  }
}
