import { z } from 'zod';
import { durationSchema } from '../../core/model/duration.ts';

/** `${VAR}` secrets: the config loader substitutes them from the environment (manifest secretFields). */
const secret = z.string().min(1);

export const dominoCalendarConfigSchema = z.strictObject({
  /** The server: DRAPI's origin (port 8880 by default), or the Domino HTTP task's origin for DAS. */
  url: z.url(),
  /** drapi: Domino REST API (12.0.2+ / 14), PIM calendar per mail database; das: Domino Access Services free/busy (9.0.1+). */
  api: z.enum(['drapi', 'das']).default('drapi'),
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
