/**
 * Pure mappings from LDAP entries to neutral people (no I/O): attribute values to identities, group
 * DNs to team names, the person id. Attribute names in LDAP are case-insensitive (RFC 4512
 * section 2.5), so entries are looked up by lower-cased name. Nothing is lost silently: a value
 * that gives no identity, or a value cut to the model's limits, is said so (`unusable`,
 * `truncated`) for the directory report.
 */
import { normalizeIdentity } from '../../core/directory/identity.ts';
import { readPhone } from '../../core/directory/phone.ts';
import { personIdSchema, personSchema, type Person } from '../../core/model/person.ts';
import { identitySchema } from '../../core/model/signal.ts';
import { accountDisabled, guidToString } from './ad.ts';
import type { IdentityRule, LdapConfig, PhoneOptions } from './config.ts';

export { guidToString } from './ad.ts';

/** An entry as read: its DN and its attribute values by lower-cased attribute name. */
export interface LdapEntry {
  readonly dn: string;
  readonly attrs: ReadonlyMap<string, readonly (string | Buffer)[]>;
}

/** A value that gave no identity, and why. */
export interface UnusableValue {
  readonly attribute: string;
  /** The value as read, cut to 80 characters. */
  readonly value: string;
  readonly reason: string;
}

/** A value cut to the model's limit (person name 256 characters, 64 identities, 256 teams, team name 128). */
export interface Truncation {
  readonly attribute: string;
  readonly length: number;
  readonly limit: number;
}

export type MapResult =
  | { ok: true; person: Person; dn: string; stableId?: string; unusable: UnusableValue[]; truncated: Truncation[] }
  | { ok: false; reason: string; stableId?: string; disabled?: boolean };

/** The model's limits (core/model/person.ts). */
const MAX_IDENTITIES = 64;
const MAX_NAME = 256;
const MAX_TEAMS = 256;
const MAX_TEAM_NAME = 128;

export function values(entry: LdapEntry, attribute: string): string[] {
  return (entry.attrs.get(attribute.toLowerCase()) ?? []).map((v) => (typeof v === 'string' ? v : v.toString('utf8')));
}

/**
 * The entry's stable id (`entryUUID`, RFC 4530; `objectGUID` on AD): the same across a rename
 * (modrdn), so that a renamed entry is recognised as the person it was.
 */
export function stableIdOf(entry: LdapEntry, attribute: string): string | undefined {
  const v = entry.attrs.get(attribute.toLowerCase())?.[0];
  if (v === undefined) return undefined;
  if (Buffer.isBuffer(v)) return guidToString(v) ?? (v.length > 0 ? v.toString('hex') : undefined);
  const t = v.trim().toLowerCase();
  return t === '' ? undefined : t;
}

function withoutScheme(v: string, schemes: readonly string[]): string {
  const lower = v.toLowerCase();
  for (const s of schemes) if (lower.startsWith(`${s}:`)) return v.slice(s.length + 1);
  return v;
}

export interface IdentityReading {
  readonly identities: string[];
  /** Why the value gave none, when it was meant to (a value of another kind, an X500 address, is no fault). */
  readonly reason?: string;
}

const none = (reason?: string): IdentityReading => (reason === undefined ? { identities: [] } : { identities: [], reason });
const ADDRESS = /^[^@\s]+@[^@\s]+$/;

/** The identities one rule gives for one attribute value (`scheme:value`, not yet normalized), or why none. */
export function readIdentities(rule: IdentityRule, value: string | Buffer, phone: PhoneOptions): IdentityReading {
  if (rule.as === 'guid') {
    const g = Buffer.isBuffer(value) ? guidToString(value) : /^[0-9a-f-]{36}$/i.test(value.trim()) ? value.trim().toLowerCase() : undefined;
    return g === undefined ? none('not a 16-byte GUID') : { identities: [`${rule.scheme ?? 'ad'}:${g}`] };
  }
  const v = (typeof value === 'string' ? value : value.toString('utf8')).trim();
  if (v === '') return none();
  switch (rule.as) {
    case 'mailto':
    case 'upn': {
      const addr = withoutScheme(v, [rule.as]);
      return ADDRESS.test(addr) ? { identities: [`${rule.as}:${addr}`] } : none('not an address (user@domain)');
    }
    case 'sip': {
      const addr = withoutScheme(v, ['sip', 'sips']);
      return addr === '' || /\s/.test(addr) ? none('not a SIP address') : { identities: [`sip:${addr}`] };
    }
    case 'xmpp': {
      const addr = withoutScheme(v, ['xmpp']);
      return ADDRESS.test(addr) ? { identities: [`xmpp:${addr}`] } : none('not an XMPP address (user@domain)');
    }
    case 'tel': {
      const t = readPhone(v, phone);
      return t.ok ? { identities: [t.tel] } : none(`${t.reason}: no tel: identity`);
    }
    case 'uuid':
      return /^[0-9a-f-]{36}$/i.test(v) ? { identities: [`${rule.scheme ?? 'ldap'}:${v.toLowerCase()}`] } : none('not a UUID');
    case 'proxy-addresses': {
      // Exchange proxyAddresses: `PREFIX:address`; upper-case SMTP marks the primary, both are the person.
      const colon = v.indexOf(':');
      const prefix = v.slice(0, colon).toLowerCase();
      const addr = v.slice(colon + 1);
      if (colon <= 0 || addr === '') return none('not PREFIX:address');
      if (prefix === 'smtp') return readIdentities({ attribute: rule.attribute, as: 'mailto' }, addr, phone);
      if (prefix === 'sip') return readIdentities({ attribute: rule.attribute, as: 'sip' }, addr, phone);
      // X500:, X400:, EUM: ... route mail inside Exchange; they are no way to reach a person.
      return none();
    }
    case 'labeled-uri': {
      // RFC 2079: the URI, then optionally a space and a label.
      const uri = v.split(/\s+/)[0] ?? '';
      const s = uri.slice(0, Math.max(0, uri.indexOf(':'))).toLowerCase();
      if (s === 'sip' || s === 'sips') return readIdentities({ attribute: rule.attribute, as: 'sip' }, uri, phone);
      if (s === 'xmpp' || s === 'mailto' || s === 'tel') return readIdentities({ attribute: rule.attribute, as: s }, uri, phone);
      // A home page (http:) is no address of the person.
      return none();
    }
  }
}

/** The identities one rule gives for one attribute value (`scheme:value`, not yet normalized). */
export function identitiesFromValue(rule: IdentityRule, value: string | Buffer, phone: PhoneOptions): string[] {
  return readIdentities(rule, value, phone).identities;
}

/** The value of the first RDN of a DN (`CN=Sales\, West,OU=Groups,...` -> `Sales, West`), RFC 4514 escapes undone. */
export function firstRdnValue(dn: string): string | undefined {
  let i = dn.indexOf('=');
  if (i < 0) return undefined;
  let out = '';
  for (i = i + 1; i < dn.length; i++) {
    const c = dn[i]!;
    if (c === ',' || c === '+') break;
    if (c === '\\' && i + 1 < dn.length) {
      const hex = dn.slice(i + 1, i + 3);
      if (/^[0-9a-fA-F]{2}$/.test(hex)) {
        out += String.fromCharCode(parseInt(hex, 16));
        i += 2;
      } else {
        out += dn[i + 1];
        i += 1;
      }
      continue;
    }
    out += c;
  }
  const v = out.trim();
  return v === '' ? undefined : v;
}

/** A DN in a form two spellings of the same DN share (case and spaces around separators). */
export function dnKey(dn: string): string {
  return dn
    .split(/(?<!\\),/)
    .map((rdn) => rdn.replace(/\s*=\s*/, '=').trim())
    .join(',')
    .toLowerCase();
}

/** A team name from a group name: lower-cased and trimmed, so `Sales` and `sales` are one team. */
export function teamName(raw: string): string | undefined {
  const t = raw.trim().toLowerCase().slice(0, MAX_TEAM_NAME);
  return t === '' ? undefined : t;
}

export interface MapContext {
  readonly config: LdapConfig;
  /** Compiled `teams.include`. */
  readonly include?: RegExp;
  /** For `teams.from: groups`: team names by member DN key. */
  readonly groupTeams?: ReadonlyMap<string, readonly string[]>;
}

/** The entry's teams; names cut to the model's limits are added to `truncated` when given. */
export function teamsOf(entry: LdapEntry, m: MapContext, truncated?: Truncation[]): string[] {
  const t = m.config.teams;
  let names: string[] = [];
  if (t.from === 'memberOf') names = values(entry, 'memberOf').map(firstRdnValue).filter((x): x is string => x !== undefined);
  else if (t.from === 'attribute') names = values(entry, t.attribute);
  else if (t.from === 'groups') names = [...(m.groupTeams?.get(dnKey(entry.dn)) ?? [])];
  if (m.include !== undefined) names = names.filter((n) => m.include!.test(n));
  if (truncated !== undefined) {
    const attribute = t.from === 'attribute' ? t.attribute : t.from === 'memberOf' ? 'memberOf' : 'member';
    const long = names.filter((n) => n.trim().length > MAX_TEAM_NAME);
    if (long.length > 0) truncated.push({ attribute: `${attribute} (team name)`, length: Math.max(...long.map((n) => n.trim().length)), limit: MAX_TEAM_NAME });
    const distinct = new Set(names.map(teamName).filter((x) => x !== undefined)).size;
    if (distinct > MAX_TEAMS) truncated.push({ attribute: `${attribute} (teams)`, length: distinct, limit: MAX_TEAMS });
  }
  return [...new Set(names.map(teamName).filter((x): x is string => x !== undefined))].sort().slice(0, MAX_TEAMS);
}

/** One entry to a person, or the reason it cannot be one (reported, never silently dropped). */
export function entryToPerson(entry: LdapEntry, m: MapContext): MapResult {
  const c = m.config;
  const stable = stableIdOf(entry, c.stableIdAttribute);
  const withStable = stable === undefined ? {} : { stableId: stable };
  // AD keeps disabled accounts; they are nobody to reach (userAccountControl ACCOUNTDISABLE).
  if (c.flavor === 'ad' && accountDisabled(entry)) return { ok: false, reason: 'account disabled (userAccountControl)', disabled: true, ...withStable };
  const rawId = values(entry, c.idAttribute)[0]?.trim();
  if (rawId === undefined || rawId === '') return { ok: false, reason: `no ${c.idAttribute} attribute`, ...withStable };
  const id = rawId.toLowerCase();
  const idCheck = personIdSchema.safeParse(id);
  if (!idCheck.success) return { ok: false, reason: `invalid person id ${JSON.stringify(rawId.slice(0, 80))} in ${c.idAttribute}: ${idCheck.error.issues[0]?.message ?? 'invalid'}`, ...withStable };
  const truncated: Truncation[] = [];
  const unusable: UnusableValue[] = [];
  let name: string | undefined;
  for (const a of c.nameAttributes) {
    name = values(entry, a)[0]?.trim();
    if (name !== undefined && name !== '') {
      if (name.length > MAX_NAME) {
        truncated.push({ attribute: a, length: name.length, limit: MAX_NAME });
        name = name.slice(0, MAX_NAME);
      }
      break;
    }
  }
  const identities = new Set<string>();
  for (const rule of c.identities) {
    for (const v of entry.attrs.get(rule.attribute.toLowerCase()) ?? []) {
      const r = readIdentities(rule, v, c.phone);
      const shown = (typeof v === 'string' ? v : v.toString('hex')).slice(0, 80);
      if (r.reason !== undefined) unusable.push({ attribute: rule.attribute, value: shown, reason: r.reason });
      for (const ident of r.identities) {
        const n = normalizeIdentity(ident);
        if (identitySchema.safeParse(n).success) identities.add(n);
        else unusable.push({ attribute: rule.attribute, value: shown, reason: `${n.slice(0, 80)} is not a valid identity` });
      }
    }
  }
  if (identities.size > MAX_IDENTITIES) truncated.push({ attribute: 'identities', length: identities.size, limit: MAX_IDENTITIES });
  const teams = teamsOf(entry, m, truncated);
  const person = personSchema.safeParse({
    id,
    ...(name !== undefined && name !== '' ? { name } : {}),
    identities: [...identities].slice(0, MAX_IDENTITIES),
    teams,
  });
  if (!person.success) return { ok: false, reason: `not a valid person: ${person.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, ...withStable };
  return { ok: true, person: person.data, dn: entry.dn, ...withStable, unusable, truncated };
}
