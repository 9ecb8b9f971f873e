import type { Client } from '@microsoft/microsoft-graph-client';
import { graphCall } from '../msgraph-shared/graph-client.ts';
import { automaticRepliesSchema, parseGraph, scheduleCollectionSchema, subscriptionSchema, type GraphSubscription, type ScheduleInformation } from '../msgraph-shared/schemas.ts';

const dt = (ms: number) => ({ dateTime: new Date(ms).toISOString().replace('Z', ''), timeZone: 'UTC' });

/** The only code speaking Graph's calendar API (calendar-getschedule, mailboxSettings). */
export class CalendarClient {
  constructor(private readonly app: Client) {}

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
