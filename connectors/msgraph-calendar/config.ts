import { z } from 'zod';
import { durationSchema } from '../../core/model/duration.ts';

export const calendarConfigSchema = z.strictObject({
  tenantId: z.string().min(1).max(128),
  clientId: z.string().min(1).max(128),
  clientSecret: z.string().min(1),
  graphBaseUrl: z.url().default('https://graph.microsoft.com'),
  tokenEndpoint: z.url().optional(),
  scope: z.string().min(1).optional(),
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
  requests: z.strictObject({ perWindow: z.number().int().min(1).default(1000), window: durationSchema.prefault('10m') }).prefault({}),
});
export type CalendarConfig = z.infer<typeof calendarConfigSchema>;
