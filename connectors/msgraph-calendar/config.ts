import { z } from 'zod';
import { durationSchema } from '../../core/model/duration.ts';
import { graphAppSchema } from '../msgraph-shared/app.ts';
import { notificationEndpointShape } from '../msgraph-shared/notification-config.ts';

export const calendarConfigSchema = z.strictObject({
  ...graphAppSchema.shape,
  /** Mailbox SMTP addresses; default every `mailto:` identity in the directory. */
  mailboxes: z.array(z.string().min(3).max(320)).optional(),
  interval: durationSchema.prefault('5m'),
  /** How far ahead meetings are read: their start and end are known to the hub before they happen. */
  lookahead: durationSchema.prefault('8h'),
  /** getSchedule schedules per request: the docs say 20, the service refuses above 100. */
  batchSize: z.number().int().min(1).max(100).default(20),
  availabilityViewInterval: z.number().int().min(5).max(1440).default(15),
  /** Subjects of non-private meetings as the activity text (personal/team containers only). */
  exposeSubjects: z.boolean().default(false),
  tentativeAsBusy: z.boolean().default(false),
  /** Read automatic replies (out of office) from mailbox settings: MailboxSettings.Read. */
  mailboxSettings: z.boolean().default(true),
  /**
   * Outside a person's working hours (getSchedule workingHours) a calendar signal with activity
   * `off-work`. Off by default: the least available state wins, so an after-hours window outranks a
   * Teams "Available" of someone working late. `away` (default) keeps such a person reachable in the
   * away class; `offline` also outranks a phone call.
   */
  workingHours: z.strictObject({ enabled: z.boolean().default(false), outsideAvailability: z.enum(['away', 'offline']).default('away') }).prefault({}),
  /** Change notifications on /users/{mailbox}/events: a change re-reads that mailbox soon instead of at the next poll. */
  subscriptions: z
    .strictObject({
      ...notificationEndpointShape,
      /** Outlook event subscriptions live at most 10 080 minutes (under 7 days); Graph's answer is what counts. */
      lifetime: durationSchema.prefault('2d'),
      renewBefore: durationSchema.prefault('6h'),
      /** Notifications for one mailbox within this time cause one getSchedule re-read. */
      debounce: durationSchema.prefault('5s'),
    })
    .optional(),
  requests: z.strictObject({ perWindow: z.number().int().min(1).default(1000), window: durationSchema.prefault('10m') }).prefault({}),
});
export type CalendarConfig = z.infer<typeof calendarConfigSchema>;
