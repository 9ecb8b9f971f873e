/**
 * Pure mappings from LDAP entries to neutral people (no I/O): attribute values to identities, group
 * DNs to team names, the person id. Attribute names in LDAP are case-insensitive (RFC 4512
 * section 2.5), so entries are looked up by lower-cased name.
 */
import { normalizeIdentity } from '../../core/directory/identity.ts';
import { personIdSchema, personSchema, type Person } from '../../core/model/person.ts';
import { identitySchema } from '../../core/model/signal.ts';
import type { IdentityRule, LdapConfig, PhoneOptions } from './config.ts';
import { phoneToTel } from '../directory-common/phone.ts';

/** An entry as read: its DN and its attribute values by lower-cased attribute name. */
export interface LdapEntry {
  readonly dn: string;
  readonly attrs: ReadonlyMap<string, readonly (string | Buffer)[]>;
}

export type MapResult = { ok: true; person: Person; dn: string } | { ok: false; reason: string };

const MAX_IDENTITIES = 64;

export function values(entry: LdapEntry, attribute: string): string[] {
  return (entry.attrs.get(attribute.toLowerCase()) ?? []).map((v) => (typeof v === 'string' ? v : v.toString('utf8')));
}

/** AD objectGUID bytes as the registry string form: the first three fields are little-endian (MS-DTYP 2.3.4.2). */
export function guidToString(b: Buffer): string | undefined {
  if (b.length !== 16) return undefined;
  const h = (i: number): string => b[i]!.toString(16).padStart(2, '0');
  const part = (idx: number[]): string => idx.map(h).join('');
  return `${part([3, 2, 1, 0])}-${part([5, 4])}-${part([7, 6])}-${part([8, 9])}-${part([10, 11, 12, 13, 14, 15])}`;
}

function withoutScheme(v: string, schemes: readonly string[]): string {
  const lower = v.toLowerCase();
  for (const s of schemes) if (lower.startsWith(`${s}:`)) return v.slice(s.length + 1);
  return v;
}

/** The identities one rule gives for one attribute value (`scheme:value`, not yet normalized). */
export function identitiesFromValue(rule: IdentityRule, value: string | Buffer, phone: PhoneOptions): string[] {
  if (rule.as === 'guid') {
    const g = Buffer.isBuffer(value) ? guidToString(value) : /^[0-9a-f-]{36}$/i.test(value.trim()) ? value.trim().toLowerCase() : undefined;
    return g === undefined ? [] : [`${rule.scheme ?? 'ad'}:${g}`];
  }
  const v = (typeof value === 'string' ? value : value.toString('utf8')).trim();
  if (v === '') return [];
  switch (rule.as) {
    case 'mailto':
    case 'upn': {
      const addr = withoutScheme(v, [rule.as]);
      return /^[^@\s]+@[^@\s]+$/.test(addr) ? [`${rule.as}:${addr}`] : [];
    }
    case 'sip': {
      const addr = withoutScheme(v, ['sip', 'sips']);
      return addr === '' || /\s/.test(addr) ? [] : [`sip:${addr}`];
    }
    case 'xmpp': {
      const addr = withoutScheme(v, ['xmpp']);
      return /^[^@\s]+@[^@\s]+$/.test(addr) ? [`xmpp:${addr}`] : [];
    }
    case 'tel': {
      const t = phoneToTel(v, phone);
      return t === undefined ? [] : [t];
    }
    case 'uuid':
      return /^[0-9a-f-]{36}$/i.test(v) ? [`${rule.scheme ?? 'ldap'}:${v.toLowerCase()}`] : [];
    case 'proxy-addresses': {
      // Exchange proxyAddresses: `PREFIX:address`; upper-case SMTP marks the primary, both are the person.
      const colon = v.indexOf(':');
      const prefix = v.slice(0, colon).toLowerCase();
      const addr = v.slice(colon + 1);
      if (colon <= 0 || addr === '') return [];
      if (prefix === 'smtp') return identitiesFromValue({ attribute: rule.attribute, as: 'mailto' }, addr, phone);
      if (prefix === 'sip') return identitiesFromValue({ attribute: rule.attribute, as: 'sip' }, addr, phone);
      return [];
    }
    case 'labeled-uri': {
      // RFC 2079: the URI, then optionally a space and a label.
      const uri = v.split(/\s+/)[0] ?? '';
      const colon = uri.indexOf(':');
      const s = uri.slice(0, colon).toLowerCase();
      if (s === 'sip' || s === 'sips') return identitiesFromValue({ attribute: rule.attribute, as: 'sip' }, uri, phone);
      if (s === 'xmpp') return identitiesFromValue({ attribute: rule.attribute, as: 'xmpp' }, uri, phone);
      if (s === 'mailto') return identitiesFromValue({ attribute: rule.attribute, as: 'mailto' }, uri, phone);
      if (s === 'tel') return identitiesFromValue({ attribute: rule.attribute, as: 'tel' }, uri, phone);
      return [];
    }
  }
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
  const t = raw.trim().toLowerCase().slice(0, 128);
  return t === '' ? undefined : t;
}

export interface MapContext {
  readonly config: LdapConfig;
  /** Compiled `teams.include`. */
  readonly include?: RegExp;
  /** For `teams.from: groups`: team names by member DN key. */
  readonly groupTeams?: ReadonlyMap<string, readonly string[]>;
}

export function teamsOf(entry: LdapEntry, m: MapContext): string[] {
  const t = m.config.teams;
  let names: string[] = [];
  if (t.from === 'memberOf') names = values(entry, 'memberOf').map(firstRdnValue).filter((x): x is string => x !== undefined);
  else if (t.from === 'attribute') names = values(entry, t.attribute);
  else if (t.from === 'groups') names = [...(m.groupTeams?.get(dnKey(entry.dn)) ?? [])];
  if (m.include !== undefined) names = names.filter((n) => m.include!.test(n));
  return [...new Set(names.map(teamName).filter((x): x is string => x !== undefined))].sort().slice(0, 256);
}

/** One entry to a person, or the reason it cannot be one (reported, never silently dropped). */
export function entryToPerson(entry: LdapEntry, m: MapContext): MapResult {
  const c = m.config;
  const rawId = values(entry, c.idAttribute)[0]?.trim();
  if (rawId === undefined || rawId === '') return { ok: false, reason: `no ${c.idAttribute} attribute` };
  const id = rawId.toLowerCase();
  const idCheck = personIdSchema.safeParse(id);
  if (!idCheck.success) return { ok: false, reason: `invalid person id ${JSON.stringify(rawId.slice(0, 80))} in ${c.idAttribute}: ${idCheck.error.issues[0]?.message ?? 'invalid'}` };
  let name: string | undefined;
  for (const a of c.nameAttributes) {
    name = values(entry, a)[0]?.trim();
    if (name !== undefined && name !== '') break;
  }
  const identities = new Set<string>();
  for (const rule of c.identities) {
    for (const v of entry.attrs.get(rule.attribute.toLowerCase()) ?? []) {
      for (const ident of identitiesFromValue(rule, v, c.phone)) {
        const n = normalizeIdentity(ident);
        if (identitySchema.safeParse(n).success) identities.add(n);
      }
    }
  }
  const person = personSchema.safeParse({
    id,
    ...(name !== undefined && name !== '' ? { name: name.slice(0, 256) } : {}),
    identities: [...identities].slice(0, MAX_IDENTITIES),
    teams: teamsOf(entry, m),
  });
  if (!person.success) return { ok: false, reason: `not a valid person: ${person.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  return { ok: true, person: person.data, dn: entry.dn };
}
