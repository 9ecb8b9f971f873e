import { z } from 'zod';
import { durationSchema } from '../../core/model/duration.ts';
import { DEFAULT_PHONE_OPTIONS, phoneOptionsSchema } from '../../core/directory/phone.ts';
import { graphAppSchema } from '../msgraph-shared/app.ts';

const guid = z.string().regex(/^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/, 'an object id (GUID)');
const ID_TERM = /^\s*id\s+eq\s+'[0-9a-fA-F-]{36}'\s*$/;

/** Delta tokens of directory objects live seven days (delta-query-overview "Token duration"). */
const DELTA_TOKEN_LIFETIME_MS = 7 * 86_400_000;

export const entraConfigInputSchema = z.strictObject({
  ...graphAppSchema.shape,
  /**
   * `$filter` of the initial delta request. user: delta accepts only `id eq '<object id>'` terms
   * joined with `or`, at most 50 (user-delta "Query parameters"); anything else is refused here,
   * before Graph would refuse it. Use `userTypes` and `includeDisabled` to narrow by kind instead.
   */
  filter: z
    .string()
    .max(4096)
    .refine((f) => f.split(/\s+or\s+/i).every((t) => ID_TERM.test(t)), "only id eq '<object id>' terms joined with or (user: delta supports no other $filter)")
    .refine((f) => f.split(/\s+or\s+/i).length <= 50, 'at most 50 ids (user: delta)')
    .optional(),
  /** userType values that become people: `Member` (employees); add `Guest` for B2B guests. */
  userTypes: z.array(z.string().min(1).max(64)).min(1).default(['Member']),
  /** Accounts with accountEnabled false become people too (default: they are retired). */
  includeDisabled: z.boolean().default(false),
  /** The person id: `upn` = the part of userPrincipalName before '@', lower-cased; or `mailNickname` (lower-cased). */
  idFrom: z.enum(['upn', 'mailNickname']).default('upn'),
  /** Teams from the members of `groups` (their displayName, lower-cased), from the user's `department`, or none. */
  teamsFrom: z.enum(['groups', 'department', 'none']).optional(),
  /** Object ids of the groups whose members form teams (teamsFrom: groups). */
  groups: z.array(guid).max(500).default([]),
  /** Count members of nested groups too (transitiveMembers instead of members). */
  transitiveMembers: z.boolean().default(false),
  phone: phoneOptionsSchema.default(DEFAULT_PHONE_OPTIONS),
  /** A fresh full sync (new delta round, people swapped at once); must stay below the seven-day token life. */
  fullSyncInterval: durationSchema.prefault('24h'),
  /** Incremental rounds with the stored deltaLink; 0 disables them. */
  incrementalInterval: durationSchema.prefault('5m'),
  /** Wait before retrying a failed sync (doubles up to 10 minutes). */
  retryDelay: durationSchema.prefault('30s'),
  /** Own pacing, below Graph's identity throttling limits; 429/503/504 Retry-After is honoured besides. */
  requests: z.strictObject({ perWindow: z.number().int().min(1).default(200), window: durationSchema.prefault('10s') }).prefault({}),
});
export type EntraConfigInput = z.input<typeof entraConfigInputSchema>;

export const entraConfigSchema = entraConfigInputSchema
  .transform((c) => ({ ...c, teamsFrom: c.teamsFrom ?? (c.groups.length > 0 ? ('groups' as const) : ('none' as const)) }))
  .superRefine((c, ctx) => {
    if (c.teamsFrom === 'groups' && c.groups.length === 0) ctx.addIssue({ code: 'custom', path: ['groups'], message: 'teamsFrom: groups needs at least one group object id' });
    if (c.fullSyncInterval <= 0 || c.fullSyncInterval >= DELTA_TOKEN_LIFETIME_MS) ctx.addIssue({ code: 'custom', path: ['fullSyncInterval'], message: 'between 1s and 7d: Graph delta tokens of users expire after seven days' });
    if (c.incrementalInterval >= DELTA_TOKEN_LIFETIME_MS) ctx.addIssue({ code: 'custom', path: ['incrementalInterval'], message: 'below 7d: Graph delta tokens of users expire after seven days' });
  });
export type EntraConfig = z.output<typeof entraConfigSchema>;
