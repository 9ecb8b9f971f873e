import { z } from 'zod';
import { HubError } from '../../core/errors.ts';

/**
 * Typed shapes of the Graph responses the connectors read. Every response is parsed here before
 * use, so a malformed answer is refused with HUB_ERR_GRAPH_MALFORMED naming the offending field
 * (docs/architecture.md invariant 6), never half-applied. Unknown extra properties are tolerated (Graph adds
 * properties over time); enumeration values are kept as strings and mapped case-insensitively.
 */

const str = z.string().max(4096);

/** presence resource (Graph v1.0 "presence resource type"). */
export const presenceSchema = z.object({
  id: z.string().min(1).max(128),
  availability: z.string().min(1).max(64),
  activity: z.string().min(1).max(64),
  /** Read-only, lexicographically sortable version stamp (Graph presence resource). */
  sequenceNumber: z.string().max(256).nullish(),
  outOfOfficeSettings: z.object({ isOutOfOffice: z.boolean().nullish(), message: str.nullish() }).nullish(),
});
export type GraphPresence = z.infer<typeof presenceSchema>;

/** POST /communications/getPresencesByUserId answers `{"value":[presence,...]}`. */
export const presenceCollectionSchema = z.object({ value: z.array(presenceSchema).max(650) });

/** OAuth 2.0 token response (RFC 6749 section 5.1). */
export const tokenResponseSchema = z.object({
  access_token: z.string().min(1),
  token_type: z.string().optional(),
  expires_in: z.union([z.number(), z.string().regex(/^\d+$/)]).transform(Number),
  refresh_token: z.string().min(1).optional(),
  refresh_token_expires_in: z.union([z.number(), z.string().regex(/^\d+$/)]).transform(Number).optional(),
});
/**
 * OAuth 2.0 error response (RFC 6749 section 5.2) as Entra sends it: `error_codes` carries the
 * AADSTS numbers (reference-aadsts-error-codes), the one thing that tells an administrator which
 * of the many `invalid_client` or `invalid_grant` causes it is.
 */
export const tokenErrorSchema = z.object({
  error: z.string(),
  error_description: z.string().optional(),
  error_codes: z.array(z.number().int().nonnegative()).max(16).optional().catch(undefined),
});

/** subscription resource (Graph "subscription resource type"). */
export const subscriptionSchema = z.object({
  id: z.string().min(1).max(256),
  resource: z.string().max(40_000),
  changeType: z.string().optional(),
  expirationDateTime: z.iso.datetime({ offset: true }),
  clientState: z.string().max(128).nullish(),
  notificationUrl: z.string().optional(),
});
export type GraphSubscription = z.infer<typeof subscriptionSchema>;
/** GET /subscriptions (subscription-list), one page. */
export const subscriptionCollectionSchema = z.object({ value: z.array(subscriptionSchema).max(10_000), '@odata.nextLink': z.string().max(16_384).optional() });

const encryptedContentSchema = z.object({
  data: z.string().min(1),
  dataSignature: z.string().min(1),
  dataKey: z.string().min(1),
  encryptionCertificateId: z.string().optional(),
  encryptionCertificateThumbprint: z.string().optional(),
});
export type EncryptedContent = z.infer<typeof encryptedContentSchema>;

/** One change notification (Graph "changeNotification resource type"). */
export const changeNotificationSchema = z.object({
  subscriptionId: z.string().min(1),
  clientState: z.string().nullish(),
  changeType: z.string().optional(),
  tenantId: z.string().optional(),
  resource: z.string().max(1024).optional(),
  subscriptionExpirationDateTime: z.string().optional(),
  lifecycleEvent: z.string().optional(),
  resourceData: z.object({ id: z.string().max(128).optional(), '@odata.id': z.string().optional(), '@odata.type': z.string().optional() }).passthrough().nullish(),
  encryptedContent: encryptedContentSchema.nullish(),
});
export type ChangeNotification = z.infer<typeof changeNotificationSchema>;
export const notificationCollectionSchema = z.object({
  value: z.array(changeNotificationSchema).min(1).max(1000),
  validationTokens: z.array(z.string()).optional(),
});

/** The decrypted resource data of a rich presence notification (changenotifications-for-presence). */
export const richPresenceSchema = z.object({
  id: z.string().min(1).max(128),
  availability: z.string().min(1).max(64),
  activity: z.string().min(1).max(64),
  sequenceNumber: z.string().max(256).nullish(),
});

/** dateTimeTimeZone resource. */
export const dateTimeTimeZoneSchema = z.object({ dateTime: z.string().min(10).max(64), timeZone: z.string().max(128).optional() });

/** scheduleItem resource. */
export const scheduleItemSchema = z.object({
  isPrivate: z.boolean().nullish(),
  status: z.string().max(64),
  subject: z.string().max(1024).nullish(),
  location: z.string().max(1024).nullish(),
  start: dateTimeTimeZoneSchema,
  end: dateTimeTimeZoneSchema,
});
export type ScheduleItem = z.infer<typeof scheduleItemSchema>;

/** scheduleInformation resource; a per-schedule failure comes back in `error`, not as HTTP error. */
export const scheduleInformationSchema = z.object({
  scheduleId: z.string().min(1).max(320),
  availabilityView: z.string().regex(/^[0-4]*$/, 'digits 0-4').max(100_000).nullish(),
  scheduleItems: z.array(scheduleItemSchema).max(10_000).nullish(),
  workingHours: z
    .object({
      daysOfWeek: z.array(z.string()).max(7).nullish(),
      startTime: z.string().nullish(),
      endTime: z.string().nullish(),
      timeZone: z.object({ name: z.string().nullish() }).passthrough().nullish(),
    })
    .nullish(),
  error: z.object({ message: z.string().nullish(), responseCode: z.string().nullish() }).nullish(),
});
export type ScheduleInformation = z.infer<typeof scheduleInformationSchema>;
export const scheduleCollectionSchema = z.object({ value: z.array(scheduleInformationSchema).max(1000) });

/** automaticRepliesSetting of mailboxSettings. */
export const automaticRepliesSchema = z.object({
  status: z.string().max(64),
  scheduledStartDateTime: dateTimeTimeZoneSchema.nullish(),
  scheduledEndDateTime: dateTimeTimeZoneSchema.nullish(),
});

/** user resource, as read by a /users delta query (user resource type; user: delta). */
export const userSchema = z
  .object({
    id: z.string().min(1).max(128),
    displayName: z.string().max(256).nullish(),
    userPrincipalName: z.string().max(320).nullish(),
    mail: z.string().max(320).nullish(),
    mailNickname: z.string().max(128).nullish(),
    accountEnabled: z.boolean().nullish(),
    userType: z.string().max(64).nullish(),
    department: z.string().max(256).nullish(),
    businessPhones: z.array(z.string().max(64)).max(16).nullish(),
    mobilePhone: z.string().max(64).nullish(),
    proxyAddresses: z.array(z.string().max(1024)).max(512).nullish(),
    /** A removed user: `changed` (soft-deleted, restorable) or `deleted` (permanently), delta-query-overview. */
    '@removed': z.object({ reason: z.string().max(64) }).passthrough().optional(),
  })
  .passthrough();
export type GraphUser = z.infer<typeof userSchema>;
export const usersDeltaPageSchema = z.object({
  value: z.array(userSchema).max(10_000),
  '@odata.nextLink': z.string().max(16_384).optional(),
  '@odata.deltaLink': z.string().max(16_384).optional(),
});

/** group resource, as read with $select=id,displayName. */
export const groupSchema = z.object({ id: z.string().min(1).max(128), displayName: z.string().max(256).nullish() }).passthrough();

/** GET /groups/{id}/members (directoryObject collection), one page. */
export const directoryObjectPageSchema = z.object({
  value: z.array(z.object({ id: z.string().min(1).max(128), '@odata.type': z.string().max(128).optional() }).passthrough()).max(10_000),
  '@odata.nextLink': z.string().max(16_384).optional(),
});

/** Parses a Graph body, refusing a malformed one with a message naming the field. */
export function parseGraph<T>(schema: z.ZodType<T>, body: unknown, what: string): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  // A 2xx whose body is Graph's error shape ({"error": {"code", "message"}}): name its code, not the first missing field.
  const err = (body as { error?: { code?: unknown } } | null)?.error;
  if (typeof err === 'object' && err !== null && typeof err.code === 'string') {
    throw new HubError('HUB_ERR_GRAPH_MALFORMED', `malformed Graph response for ${what}: a success status with an error body (${err.code.slice(0, 64)})`, { kind: 'transient' });
  }
  const issue = r.error.issues[0];
  const path = issue === undefined ? '' : issue.path.join('.');
  throw new HubError('HUB_ERR_GRAPH_MALFORMED', `malformed Graph response for ${what}: ${path === '' ? '(root)' : path}: ${issue?.message ?? 'invalid'}`, {
    kind: 'transient',
  });
}

/**
 * Whether an `@odata.type` names the type `qualifiedName` (e.g. `microsoft.graph.user`). Compared
 * without regard to letter case: Graph writes the same type both ways (`#microsoft.graph.user` in
 * collection answers, `#Microsoft.Graph.Message` / `#Microsoft.Graph.presence` in change
 * notifications) although OData makes only system query option names case-insensitive, and no two
 * Graph types differ by case alone. The leading `#` is optional (OData JSON format: the type name,
 * `#`-prefixed in payloads).
 */
export function isODataType(odataType: string | undefined, qualifiedName: string): boolean {
  return odataType !== undefined && odataType.replace(/^#/, '').toLowerCase() === qualifiedName.toLowerCase();
}
