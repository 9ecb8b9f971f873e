import { z } from 'zod';
import { AVAILABILITY_CLASSES } from '../../core/model/availability.ts';
import { durationSchema } from '../../core/model/duration.ts';

/**
 * How an attribute becomes identities:
 * - `mailto`, `upn`, `sip`, `xmpp`: the value (a `sip:`/`xmpp:` prefix already present is accepted);
 * - `tel`: a phone number normalized to E.164 (short numbers stay internal extensions);
 * - `proxy-addresses`: AD `proxyAddresses`, `SIP:` -> sip:, `smtp:`/`SMTP:` -> mailto:, others ignored;
 * - `labeled-uri`: RFC 2079 `labeledURI` ("URI label"), kept for sip:, sips:, xmpp:, tel: and mailto:;
 * - `guid`: AD `objectGUID` (16 bytes) as its string form; `uuid`: OpenLDAP `entryUUID` (RFC 4530).
 */
export const IDENTITY_KINDS = ['mailto', 'upn', 'tel', 'sip', 'xmpp', 'proxy-addresses', 'labeled-uri', 'guid', 'uuid'] as const;
export type IdentityKind = (typeof IDENTITY_KINDS)[number];

const attrName = z.string().regex(/^[A-Za-z][A-Za-z0-9-]*$/, 'an LDAP attribute name');
const scheme = z.string().regex(/^[a-z][a-z0-9+.-]*$/, 'a lower-case URI scheme');

export const identityRuleSchema = z.strictObject({
  attribute: attrName,
  as: z.enum(IDENTITY_KINDS),
  /** The scheme written for `guid` (default `ad`) and `uuid` (default `ldap`). */
  scheme: scheme.optional(),
});
export type IdentityRule = z.infer<typeof identityRuleSchema>;

export { phoneOptionsSchema as phoneSchema, type PhoneOptions } from '../../core/directory/phone.ts';
import { phoneOptionsSchema as phoneSchema } from '../../core/directory/phone.ts';

export const teamsSchema = z.strictObject({
  /** `memberOf` on the user (AD; OpenLDAP with the memberof overlay), `groups` searched for their `member`, an attribute, or none. */
  from: z.enum(['memberOf', 'groups', 'attribute', 'none']),
  /** For `groups`: where groups live (default: baseDn). */
  groupBaseDn: z.string().min(1).optional(),
  groupFilter: z.string().min(1).default('(|(objectClass=groupOfNames)(objectClass=groupOfUniqueNames)(objectClass=group))'),
  memberAttribute: attrName.default('member'),
  /** For `attribute`: the attribute whose values are team names (AD `department`, OpenLDAP `departmentNumber` or `ou`). */
  attribute: attrName.default('department'),
  /** Only groups whose CN matches this regular expression become teams (AD users are in many security groups). */
  include: z.string().optional(),
});

export const publishSchema = z.strictObject({
  /** The attribute the availability class is written to (replace). Needs write access for the bind account. */
  attribute: attrName,
  /** The value per class (default: the class name). */
  values: z.partialRecord(z.enum(AVAILABILITY_CLASSES), z.string().min(1).max(256)).default({}),
  /** Least time between two batches of writes. */
  interval: durationSchema.prefault('2s'),
  batchSize: z.number().int().min(1).max(10_000).default(200),
});

export const ldapConfigInputSchema = z.strictObject({
  /** `ldap://host:389` or `ldaps://host:636` (scheme, host and port only). */
  url: z.string().regex(/^ldaps?:\/\/[^/\s?#]+\/?$/, 'an ldap:// or ldaps:// URL with host and port only'),
  /** Upgrade an ldap:// connection with StartTLS (RFC 4513 section 3) before binding. */
  startTls: z.boolean().default(false),
  tls: z.strictObject({ rejectUnauthorized: z.boolean().default(true), caFile: z.string().min(1).optional() }).default({ rejectUnauthorized: true }),
  /** Directory flavour: picks the defaults of filter, id attribute, identities, teams and change attribute. */
  flavor: z.enum(['openldap', 'ad']).default('openldap'),
  /** Simple bind DN (RFC 4513 section 5.1.3); absent: anonymous. */
  bindDn: z.string().min(1).optional(),
  /** Secret: `${VARIABLE}` from the environment. */
  bindPassword: z.string().optional(),
  baseDn: z.string().min(1),
  filter: z.string().min(1).optional(),
  scope: z.enum(['sub', 'one']).default('sub'),
  pageSize: z.number().int().min(1).max(10_000).default(500),
  timeout: durationSchema.prefault('30s'),
  /** The attribute whose value (lower-cased) is the person id: default `uid` (OpenLDAP) / `sAMAccountName` (AD). */
  idAttribute: attrName.optional(),
  nameAttributes: z.array(attrName).default(['displayName', 'cn']),
  identities: z.array(identityRuleSchema).optional(),
  phone: phoneSchema.default({ nationalPrefix: '0', internationalPrefixes: ['00', '011'], maxExtensionDigits: 6 }),
  teams: teamsSchema.optional(),
  /** The change attribute of incremental syncs: default `modifyTimestamp` (OpenLDAP) / `uSNChanged` (AD); `whenChanged` is AD's timestamp. */
  changeAttribute: z.enum(['modifyTimestamp', 'uSNChanged', 'whenChanged']).optional(),
  /**
   * The attribute that stays the same when an entry is renamed: default `entryUUID` (OpenLDAP,
   * RFC 4530) / `objectGUID` (AD). An incremental sync that sees it under a new id renames the person.
   */
  stableIdAttribute: attrName.optional(),
  fullSyncInterval: durationSchema.prefault('24h'),
  /** 0 disables incremental syncs. */
  incrementalInterval: durationSchema.prefault('5m'),
  /** Wait before retrying a failed sync (doubles up to 10 minutes). */
  retryDelay: durationSchema.prefault('30s'),
  publish: publishSchema.optional(),
});
export type LdapConfigInput = z.input<typeof ldapConfigInputSchema>;

const AD_IDENTITIES: IdentityRule[] = [
  { attribute: 'mail', as: 'mailto' },
  { attribute: 'userPrincipalName', as: 'upn' },
  { attribute: 'telephoneNumber', as: 'tel' },
  { attribute: 'ipPhone', as: 'tel' },
  { attribute: 'msRTCSIP-PrimaryUserAddress', as: 'sip' },
  { attribute: 'proxyAddresses', as: 'proxy-addresses' },
  { attribute: 'objectGUID', as: 'guid', scheme: 'ad' },
];
const OPENLDAP_IDENTITIES: IdentityRule[] = [
  { attribute: 'mail', as: 'mailto' },
  { attribute: 'telephoneNumber', as: 'tel' },
  { attribute: 'labeledURI', as: 'labeled-uri' },
  { attribute: 'entryUUID', as: 'uuid', scheme: 'ldap' },
];

/** The configuration with every flavour default filled in, as the connector uses it. */
export const ldapConfigSchema = ldapConfigInputSchema
  .transform((c) => {
    const ad = c.flavor === 'ad';
    return {
      ...c,
      // AD: disabled accounts are read and left out by their userAccountControl (map.ts), so that an
      // incremental sync sees an account being disabled and retires the person at once.
      filter: c.filter ?? (ad ? '(&(objectCategory=person)(objectClass=user))' : '(objectClass=inetOrgPerson)'),
      idAttribute: c.idAttribute ?? (ad ? 'sAMAccountName' : 'uid'),
      identities: c.identities ?? (ad ? AD_IDENTITIES : OPENLDAP_IDENTITIES),
      teams: c.teams ?? teamsSchema.parse({ from: ad ? 'memberOf' : 'groups' }),
      changeAttribute: c.changeAttribute ?? (ad ? 'uSNChanged' : 'modifyTimestamp'),
      stableIdAttribute: c.stableIdAttribute ?? (ad ? 'objectGUID' : 'entryUUID'),
    };
  })
  .superRefine((c, ctx) => {
    if (c.startTls && c.url.startsWith('ldaps:')) ctx.addIssue({ code: 'custom', path: ['startTls'], message: 'startTls is for ldap:// URLs; ldaps:// is already TLS' });
    if (c.bindDn !== undefined && (c.bindPassword === undefined || c.bindPassword === '')) {
      ctx.addIssue({ code: 'custom', path: ['bindPassword'], message: 'required with bindDn (an empty password would be an unauthenticated bind, RFC 4513 section 5.1.2)' });
    }
    if (c.teams.include !== undefined) {
      try {
        new RegExp(c.teams.include, 'i');
      } catch (e) {
        ctx.addIssue({ code: 'custom', path: ['teams', 'include'], message: `not a regular expression: ${(e as Error).message}` });
      }
    }
    if (c.publish !== undefined) {
      // Loop guard (docs/architecture.md invariant 4): the attribute the hub writes must never feed back into who a person is.
      const read = new Set([c.idAttribute, ...c.nameAttributes, ...c.identities.map((i) => i.attribute), ...(c.teams.from === 'attribute' ? [c.teams.attribute] : [])].map((a) => a.toLowerCase()));
      if (read.has(c.publish.attribute.toLowerCase())) {
        ctx.addIssue({ code: 'custom', path: ['publish', 'attribute'], message: `${c.publish.attribute} is read by the sync; write presence to an attribute the sync does not read` });
      }
    }
  });
export type LdapConfig = z.output<typeof ldapConfigSchema>;
