import type { Client } from '@microsoft/microsoft-graph-client';
import { graphCall } from '../msgraph-shared/graph-client.ts';
import { automaticRepliesSchema, parseGraph, scheduleCollectionSchema, type ScheduleInformation } from '../msgraph-shared/schemas.ts';

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

  async automaticReplies(mailbox: string) {
    const body = await graphCall('automaticRepliesSetting', () => this.app.api(`/users/${encodeURIComponent(mailbox)}/mailboxSettings/automaticRepliesSetting`).get());
    return parseGraph(automaticRepliesSchema, body, 'automaticRepliesSetting');
  }
}
