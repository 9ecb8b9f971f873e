import { z } from 'zod';
import { durationSchema } from '../../core/model/duration.ts';

/** `${VAR}` secrets: the config loader substitutes them from the environment (manifest secretFields). */
const secret = z.string().min(1);

export const dominoCalendarConfigSchema = z.strictObject({
  /** The server: DRAPI's origin (port 8880 by default), or the Domino HTTP task's origin for DAS. */
  url: z.url(),
  /** drapi: Domino REST API (12.0.2+ / 14), PIM calendar per mail database; das: Domino Access Services free/busy (9.0.1+). */
  api: z.enum(['drapi', 'das']).default('drapi'),
  /**
   * The DAS path's per-person reader: `freebusy` (busy times of anyone, no subject), or `events`:
   * the calendar events API of each person's mail database (`GET /{mailFile}/api/calendar/events`),
   * for accounts in the mail databases' ACLs; gives subjects, privacy, all-day and recurring instances.
   */
  das: z
    .strictObject({
      read: z.enum(['freebusy', 'events']).default('freebusy'),
      /** A person's mail database path: `{local}` is the part of their mail address before the @. */
      mailFile: z.string().regex(/^[A-Za-z0-9_./{}-]+\.nsf$/, 'a database path such as mail/{local}.nsf').default('mail/{local}.nsf'),
      /** Per identity (`mailto:...` or `domino:CN=...`): the mail database when the pattern does not give it. */
      mailFiles: z.record(z.string().min(1), z.string().regex(/^[A-Za-z0-9_./-]+\.nsf$/, 'a database path such as mail/jdoe.nsf')).default({}),
      /** Events per request (DAS `count`: 1 to 100, the server's default 50). */
      pageSize: z.number().int().min(1).max(100).default(100),
    })
    .prefault({}),
  /** The account: DRAPI `POST /api/v1/auth` (bearer token), DAS HTTP Basic. */
  username: z.string().min(1).max(256),
  password: secret,
  pollInterval: durationSchema.prefault('60s'),
  /** How far ahead entries are read. */
  lookahead: durationSchema.prefault('8h'),
  /** What may reach watchers: subject shows non-private titles as the activity text (personal and team). */
  details: z.enum(['none', 'subject']).default('none'),
  /** Entries with a floating time (no timeZone) are read in this IANA zone. */
  defaultTimeZone: z.string().min(1).max(64).default('UTC'),
  /** Persons read at once. */
  concurrency: z.number().int().min(1).max(64).default(8),
  /** The DRAPI token is renewed this long before it expires. */
  tokenRefreshMargin: durationSchema.prefault('60s'),
  /** Per request. */
  timeout: durationSchema.prefault('30s'),
});
export type DominoCalendarConfig = z.infer<typeof dominoCalendarConfigSchema>;
