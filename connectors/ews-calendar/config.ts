import { z } from 'zod';
import { durationSchema } from '../../core/model/duration.ts';

/** `${VAR}` secrets: the config loader substitutes them from the environment (manifest secretFields). */
const secret = z.string().min(1);

/** How the connector signs in to EWS (README "Permissions"). */
export const ewsAuthSchema = z.discriminatedUnion('type', [
  /** Client credentials (Exchange Online or hybrid modern auth): app-only token for https://outlook.office365.com/.default. */
  z.strictObject({ type: z.literal('oauth'), tenantId: z.string().min(1).max(128), clientId: z.string().min(1).max(128), clientSecret: secret, tokenEndpoint: z.url().optional(), scope: z.string().min(1).optional() }),
  /** Basic over HTTPS: on-premises only (Exchange Online turned Basic off). */
  z.strictObject({ type: z.literal('basic'), username: z.string().min(1).max(256), password: secret }),
  /** NTLM through @ewsjs/xhr: on-premises. */
  z.strictObject({ type: z.literal('ntlm'), username: z.string().min(1).max(256), password: secret, domain: z.string().min(1).max(256) }),
]);

const statusMapping = z.union([z.null(), z.strictObject({ availability: z.union([z.enum(['available', 'busy', 'dnd', 'away', 'offline']), z.number().int().min(3000).max(99999)]), activity: z.string().min(1).max(64).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/) })]);

export const ewsCalendarConfigSchema = z
  .strictObject({
    /** The EWS endpoint, e.g. https://mail.corp.example/EWS/Exchange.asmx. */
    url: z.url(),
    /** The RequestServerVersion sent; Exchange2013 works with 2013, 2016, 2019 and Subscription Edition. */
    version: z.enum(['Exchange2010', 'Exchange2010_SP1', 'Exchange2010_SP2', 'Exchange2013', 'Exchange2013_SP1', 'Exchange2016']).default('Exchange2013'),
    auth: ewsAuthSchema,
    /** true: act as each mailbox (ExchangeImpersonation by SMTP address); needed for out of office and streaming. false: free/busy only. */
    impersonation: z.boolean().default(false),
    /** Mailbox SMTP addresses; default every `mailto:` identity in the directory. */
    mailboxes: z.array(z.string().min(3).max(320)).optional(),
    pollInterval: durationSchema.prefault('60s'),
    /** How far ahead free/busy is read (the library asks whole days; at most 42 days on the server). */
    lookahead: durationSchema.prefault('8h'),
    /** Mailboxes per GetUserAvailability: the server refuses more than 100 by default. */
    batchSize: z.number().int().min(1).max(100).default(100),
    /** Detailed: calendar events with their busy type (and subject when allowed); FreeBusyMerged: the merged string. */
    view: z.enum(['Detailed', 'FreeBusyMerged']).default('Detailed'),
    mergedInterval: z.number().int().min(5).max(1440).default(15),
    /** Streaming notifications on each mailbox's calendar (needs impersonation). */
    streaming: z.boolean().default(false),
    /** Out of office (GetUserOofSettings, one request per mailbox) is read at most this often; needs impersonation. */
    oofInterval: durationSchema.prefault('15m'),
    /** Stream events for mailboxes within this time: one re-read. */
    debounce: durationSchema.prefault('250ms'),
    /** A streaming connection lives at most 30 minutes on the server: re-opened after this. */
    streamLifetime: z.number().int().min(1).max(30).default(29),
    /** Subscriptions per streaming connection (the server allows a few hundred; one connection per group). */
    streamGroupSize: z.number().int().min(1).max(500).default(200),
    /** What may reach watchers: subject shows non-private subjects as the activity text (personal and team). */
    details: z.enum(['none', 'subject']).default('none'),
    /** Outside working hours (from the free/busy answer) a calendar signal `off-work`. */
    workingHours: z.boolean().default(false),
    outsideWorkingHours: z.enum(['away', 'offline']).default('away'),
    /** Free/busy types to availability and activity; null says nothing. */
    statusMap: z.strictObject({ busy: statusMapping.optional(), tentative: statusMapping.optional(), oof: statusMapping.optional(), workingElsewhere: statusMapping.optional() }).prefault({}),
    /** Per request. */
    timeout: durationSchema.prefault('30s'),
    /** ErrorServerBusy answers honoured in a row before the cycle gives up (each waits BackOffMilliseconds; none is a failure). */
    maxBusyWaits: z.number().int().min(0).max(100).default(5),
    /** Accept a self-signed certificate (test labs only). */
    allowUntrustedCertificate: z.boolean().default(false),
  })
  .superRefine((c, ctx) => {
    if (c.streaming && !c.impersonation) ctx.addIssue({ code: 'custom', path: ['streaming'], message: 'streaming subscribes to each mailbox calendar and needs impersonation: true' });
    if (c.streaming && c.auth.type === 'ntlm') ctx.addIssue({ code: 'custom', path: ['streaming'], message: 'streaming is not available with NTLM (the @ewsjs/xhr stream cannot report HTTP errors); use polling or oauth/basic' });
  });
export type EwsCalendarConfig = z.infer<typeof ewsCalendarConfigSchema>;
