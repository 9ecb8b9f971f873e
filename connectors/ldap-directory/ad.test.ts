/**
 * Active Directory attributes, by table tests on fixtures shaped like AD's own output (slapd
 * cannot run AD's schema): fixtures/ad-users.json and fixtures/ad-group-ranged.json.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { accountDisabled, guidToString, rangedValues } from './ad.ts';
import { changedSinceFilter, isMark, laterMark } from './change-mark.ts';
import type { LdapSession } from './client.ts';
import { ldapConfigSchema } from './config.ts';
import { allValues } from './groups.ts';
import { entryToPerson, type LdapEntry } from './map.ts';

interface FixtureEntry {
  dn: string;
  attributes: Record<string, string[]>;
  binary?: Record<string, string>;
}
const fixtures = join(import.meta.dirname, 'fixtures');
const users = JSON.parse(readFileSync(join(fixtures, 'ad-users.json'), 'utf8')) as { guids: Record<string, string>; entries: FixtureEntry[] };
const ranged = JSON.parse(readFileSync(join(fixtures, 'ad-group-ranged.json'), 'utf8')) as {
  search: FixtureEntry;
  reads: Record<string, Record<string, string[]>>;
};

/** An entry as the client hands it over: lower-cased attribute names, binary attributes as Buffers. */
function entry(f: FixtureEntry): LdapEntry {
  const attrs = new Map<string, (string | Buffer)[]>(Object.entries(f.attributes).map(([k, v]) => [k.toLowerCase(), v]));
  for (const [k, b64] of Object.entries(f.binary ?? {})) attrs.set(k.toLowerCase(), [Buffer.from(b64, 'base64')]);
  return { dn: f.dn, attrs };
}
const byDn = new Map(users.entries.map((e) => [e.dn, entry(e)]));
const user = (cn: string): LdapEntry => byDn.get(`CN=${cn},OU=Staff,DC=corp,DC=example`)!;

const ad = ldapConfigSchema.parse({ url: 'ldap://dc1.corp.example:389', flavor: 'ad', baseDn: 'OU=Staff,DC=corp,DC=example', phone: { defaultCountryCode: '1', nationalPrefix: '' } });

describe('AD flavour defaults', () => {
  it('reads objectGUID as the stable id, uSNChanged for increments, and filters users without hiding disabled ones from increments', () => {
    expect(ad).toMatchObject({ idAttribute: 'sAMAccountName', stableIdAttribute: 'objectGUID', changeAttribute: 'uSNChanged', filter: '(&(objectCategory=person)(objectClass=user))' });
    expect(ad.identities.map((i) => i.attribute)).toEqual(['mail', 'userPrincipalName', 'telephoneNumber', 'ipPhone', 'msRTCSIP-PrimaryUserAddress', 'proxyAddresses', 'objectGUID']);
    expect(ldapConfigSchema.parse({ url: 'ldap://h', baseDn: 'dc=x' }).stableIdAttribute).toBe('entryUUID');
  });
});

describe('objectGUID', () => {
  it('is the registry form of the binary value (MS-DTYP 2.3.4.2: first three fields little-endian)', () => {
    const alice = user('Alice Example');
    expect(guidToString(alice.attrs.get('objectguid')![0] as Buffer)).toBe(users.guids[alice.dn]);
  });
});

describe('userAccountControl', () => {
  it.each([
    ['Alice Example', 512, false],
    ['Bob Builder', 514, true],
    ['Carol Shared', 66048, false],
    ['Dave Service', 66050, true],
  ])('%s (%i) disabled: %s', (cn, _uac, disabled) => expect(accountDisabled(user(cn))).toBe(disabled));

  it('a disabled account is no person, counted apart from real faults', () => {
    expect(entryToPerson(user('Bob Builder'), { config: ad })).toEqual({ ok: false, reason: 'account disabled (userAccountControl)', disabled: true, stableId: '0b9d6c2e-1f3a-4b5c-8d7e-6a5b4c3d2e1f' });
    // The OpenLDAP flavour has no such flag: the attribute is not consulted.
    const ol = ldapConfigSchema.parse({ url: 'ldap://h', baseDn: 'dc=x', idAttribute: 'sAMAccountName' });
    expect(entryToPerson(user('Bob Builder'), { config: ol }).ok).toBe(true);
  });
});

describe('an AD user to a person', () => {
  it('takes mail, UPN, phones (an extension as written in ipPhone), msRTCSIP-PrimaryUserAddress, proxyAddresses and objectGUID', () => {
    const r = entryToPerson(user('Alice Example'), { config: ad });
    expect(r).toMatchObject({ ok: true, stableId: 'a7c3e1f0-52b4-4d1e-9a3c-2f6b8e0d4c11', unusable: [], truncated: [] });
    expect(r.ok && r.person).toEqual({
      id: 'alice',
      name: 'Alice Example',
      identities: [
        'mailto:alice@corp.example',
        'upn:alice@corp.example',
        'tel:+15550100101',
        'tel:2003',
        'sip:alice@corp.example',
        'mailto:alice.example@corp.example',
        'ad:a7c3e1f0-52b4-4d1e-9a3c-2f6b8e0d4c11',
      ],
      teams: ['domain users', 'team-sales'],
      personal: [],
      blocked: [],
    });
  });

  it('lower-cases sAMAccountName and reads a dotted national number with the dialing plan', () => {
    const r = entryToPerson(user('Carol Shared'), { config: ad });
    expect(r.ok && r.person.id).toBe('carol');
    expect(r.ok && r.person.identities).toEqual(['tel:+15550100103', 'mailto:carol@corp.example', 'ad:5e4d3c2b-1a09-4f8e-b7d6-c5b4a3928170']);
  });
});

describe('member;range= (MS-ADTS 3.1.1.3.1.3.3)', () => {
  it.each([
    [{ 'member;range=0-1499': ['a'] }, { values: ['a'], next: 'member;range=1500-*' }],
    [{ 'Member;Range=1500-2999': ['b'] }, { values: ['b'], next: 'member;range=3000-*' }],
    [{ 'member;range=3000-*': ['c'] }, { values: ['c'] }],
    [{ member: ['d'] }, { values: ['d'] }],
    [{}, { values: [] }],
  ])('%o', (attrs, want) => {
    const e: LdapEntry = { dn: 'CN=g', attrs: new Map(Object.entries(attrs).map(([k, v]) => [k.toLowerCase(), v])) };
    expect(rangedValues(e, 'member')).toEqual(want);
  });

  it('reads the rest of a large group range by range until the server says *', async () => {
    const asked: string[] = [];
    // The fixture's answers to the base reads the connector makes on the group.
    const session: LdapSession = {
      async searchPaged(o, onPage) {
        const want = o.attributes[0]!;
        asked.push(want);
        const attrs = ranged.reads[want];
        await onPage(attrs === undefined ? [] : [{ dn: ranged.search.dn, attrs: new Map(Object.entries(attrs)) }]);
      },
      async replace() {},
    };
    const first = rangedValues(entry(ranged.search), 'member');
    const all = await allValues(session, ranged.search.dn, first);
    expect(asked).toEqual(['member;range=3-*', 'member;range=6-*']);
    expect(all).toEqual([0, 1, 2, 3, 4, 5, 6].map((i) => `CN=User ${i},OU=Staff,DC=corp,DC=example`));
  });
});

describe('change marks', () => {
  it.each([
    ['uSNChanged', '184467', '(&(objectClass=user)(uSNChanged>=184468))'],
    ['whenChanged', '20240115093012.0Z', '(&(objectClass=user)(whenChanged>=20240115093012.0Z))'],
    ['modifyTimestamp', '20240115093012Z', '(&(objectClass=user)(modifyTimestamp>=20240115093012Z))'],
  ] as const)('%s since %s', (attr, mark, filter) => expect(changedSinceFilter('(objectClass=user)', attr, mark)).toBe(filter));

  it('compares USNs as numbers and times on their digits', () => {
    expect(laterMark('999', '1000', 'uSNChanged')).toBe('1000');
    expect(laterMark('20240115093012.0Z', '20240116000000.0Z', 'whenChanged')).toBe('20240116000000.0Z');
    expect(isMark('20240115093012.0Z', 'whenChanged')).toBe(true);
    expect(isMark('soon', 'whenChanged')).toBe(false);
    expect(isMark('12a', 'uSNChanged')).toBe(false);
  });
});
