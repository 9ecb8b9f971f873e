/**
 * Pure mappings from Graph user resources to neutral people (no I/O): the person id, identities,
 * teams, and whether a user is a person at all.
 */
import { normalizeIdentity } from '../../core/directory/identity.ts';
import { personIdSchema, personSchema, type Person } from '../../core/model/person.ts';
import { identitySchema } from '../../core/model/signal.ts';
import { phoneToTel, readPhone, type PhoneOptions } from '../../core/directory/phone.ts';
import type { GraphUser } from '../msgraph-shared/schemas.ts';

/** The user properties every delta round tracks (`$select`; only these are tracked for changes, user-delta). */
export const USER_SELECT = ['id', 'userPrincipalName', 'displayName', 'mail', 'mailNickname', 'accountEnabled', 'userType', 'department', 'businessPhones', 'mobilePhone', 'proxyAddresses'] as const;

export interface MapOptions {
  readonly idFrom: 'upn' | 'mailNickname';
  readonly teamsFrom: 'groups' | 'department' | 'none';
  readonly userTypes: readonly string[];
  readonly includeDisabled: boolean;
  readonly phone: PhoneOptions;
  /** teamsFrom groups: team names by member object id (lower-cased). */
  readonly groupTeams?: ReadonlyMap<string, readonly string[]>;
}

/**
 * `excluded`: not meant to be a person (disabled, a guest): quietly not a person, retired if it was one.
 * `invalid`: meant to be a person but unusable (no UPN, an id the hub cannot use): reported.
 */
export type UserResult = { ok: true; person: Person } | { ok: false; kind: 'excluded' | 'invalid'; reason: string };

const MAX_IDENTITIES = 64;
const ADDRESS = /^[^@\s]+@[^@\s]+$/;

/** A team name from a group name or department: lower-cased and trimmed, so `Sales` and `sales` are one team. */
export function teamName(raw: string | null | undefined): string | undefined {
  const t = (raw ?? '').trim().toLowerCase().slice(0, 128);
  return t === '' ? undefined : t;
}

/** The person id, or why there is none. */
export function personIdOf(u: GraphUser, idFrom: MapOptions['idFrom']): { id: string } | { reason: string } {
  const raw = idFrom === 'upn' ? u.userPrincipalName?.split('@')[0] : u.mailNickname;
  const v = raw?.trim().toLowerCase();
  if (v === undefined || v === '') return { reason: idFrom === 'upn' ? 'no userPrincipalName' : 'no mailNickname' };
  const check = personIdSchema.safeParse(v);
  if (!check.success) return { reason: `invalid person id ${JSON.stringify(v.slice(0, 80))} from ${idFrom === 'upn' ? 'userPrincipalName' : 'mailNickname'}: ${check.error.issues[0]?.message ?? 'invalid'}` };
  return { id: v };
}

/** Identities of a user, normalized: entra:, upn:, mailto:, proxyAddresses, tel:. */
export function userIdentities(u: GraphUser, phone: PhoneOptions): string[] {
  const raw: string[] = [`entra:${u.id.toLowerCase()}`];
  const upn = u.userPrincipalName?.trim();
  if (upn !== undefined && ADDRESS.test(upn)) raw.push(`upn:${upn}`);
  const mail = u.mail?.trim();
  if (mail !== undefined && ADDRESS.test(mail)) raw.push(`mailto:${mail}`);
  for (const p of u.proxyAddresses ?? []) {
    // Exchange proxyAddresses: `PREFIX:address`; SMTP (primary) and smtp (secondary) are both the person; SIP: is Teams/Skype.
    const colon = p.indexOf(':');
    const prefix = p.slice(0, colon).toLowerCase();
    const addr = p.slice(colon + 1).trim();
    if (colon <= 0 || !ADDRESS.test(addr)) continue;
    if (prefix === 'smtp') raw.push(`mailto:${addr}`);
    else if (prefix === 'sip') raw.push(`sip:${addr}`);
  }
  for (const n of [...(u.businessPhones ?? []), ...(u.mobilePhone != null ? [u.mobilePhone] : [])]) {
    const t = phoneToTel(n, phone);
    if (t !== undefined) raw.push(t);
  }
  const out = new Set<string>();
  for (const r of raw) {
    const n = normalizeIdentity(r);
    if (identitySchema.safeParse(n).success) out.add(n);
  }
  return [...out].slice(0, MAX_IDENTITIES);
}

export function teamsOf(u: GraphUser, o: MapOptions): string[] {
  let names: string[] = [];
  if (o.teamsFrom === 'department') names = u.department != null ? [u.department] : [];
  else if (o.teamsFrom === 'groups') names = [...(o.groupTeams?.get(u.id.toLowerCase()) ?? [])];
  return [...new Set(names.map(teamName).filter((x): x is string => x !== undefined))].sort().slice(0, 256);
}

/** One user to a person, or why not. A removed user (`@removed`) is never a person. */
export function userToPerson(u: GraphUser, o: MapOptions): UserResult {
  if (u['@removed'] !== undefined) return { ok: false, kind: 'excluded', reason: `removed (${u['@removed'].reason})` };
  if (u.accountEnabled === false && !o.includeDisabled) return { ok: false, kind: 'excluded', reason: 'account disabled' };
  // userType absent: Graph leaves out properties never set; such accounts are members.
  const type = u.userType ?? 'Member';
  if (!o.userTypes.some((t) => t.toLowerCase() === type.toLowerCase())) return { ok: false, kind: 'excluded', reason: `userType ${type}` };
  const id = personIdOf(u, o.idFrom);
  if ('reason' in id) return { ok: false, kind: 'invalid', reason: id.reason };
  const name = u.displayName?.trim();
  const person = personSchema.safeParse({
    id: id.id,
    ...(name !== undefined && name !== '' ? { name: name.slice(0, 256) } : {}),
    identities: userIdentities(u, o.phone),
    teams: teamsOf(u, o),
  });
  if (!person.success) return { ok: false, kind: 'invalid', reason: `not a valid person: ${person.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}` };
  return { ok: true, person: person.data };
}

/**
 * What the person of a user leaves out, for the directory report (never silently): phone values
 * that are no number, a displayName cut to the model's 256 characters.
 */
export function userNotes(u: GraphUser, phone: PhoneOptions): {
  unusable: { attribute: string; value: string; reason: string }[];
  truncated: { attribute: string; length: number; limit: number }[];
} {
  const unusable: { attribute: string; value: string; reason: string }[] = [];
  const phones: [string, string][] = [...(u.businessPhones ?? []).map((n): [string, string] => ['businessPhones', n]), ...(u.mobilePhone != null ? [['mobilePhone', u.mobilePhone] as [string, string]] : [])];
  for (const [attribute, n] of phones) {
    if (n.trim() === '') continue;
    const r = readPhone(n, phone);
    if (!r.ok) unusable.push({ attribute, value: n.slice(0, 80), reason: `${r.reason}: no tel: identity` });
  }
  const name = u.displayName?.trim() ?? '';
  return { unusable, truncated: name.length > 256 ? [{ attribute: 'displayName', length: name.length, limit: 256 }] : [] };
}

/** How a user is named in the directory report: its UPN and object id. */
export function entryName(u: Pick<GraphUser, 'id' | 'userPrincipalName'>): string {
  return u.userPrincipalName ? `${u.userPrincipalName} (${u.id})` : u.id;
}
