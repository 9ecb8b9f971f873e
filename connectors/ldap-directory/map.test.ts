import { describe, expect, it } from 'vitest';
import { ldapConfigSchema, type IdentityRule } from './config.ts';
import { dnKey, entryToPerson, firstRdnValue, guidToString, identitiesFromValue, type LdapEntry } from './map.ts';

const phone = { defaultCountryCode: '1', nationalPrefix: '', internationalPrefixes: ['011'], maxExtensionDigits: 5 };
const rule = (as: IdentityRule['as'], scheme?: string): IdentityRule => ({ attribute: 'x', as, ...(scheme ? { scheme } : {}) });

function entry(dn: string, attrs: Record<string, (string | Buffer)[]>): LdapEntry {
  return { dn, attrs: new Map(Object.entries(attrs).map(([k, v]) => [k.toLowerCase(), v])) };
}

describe('identitiesFromValue', () => {
  it.each([
    [rule('mailto'), 'Alice@Corp.Example', ['mailto:Alice@Corp.Example']],
    [rule('mailto'), 'not-an-address', []],
    [rule('upn'), 'alice@corp.example', ['upn:alice@corp.example']],
    [rule('sip'), 'sip:alice@corp.example', ['sip:alice@corp.example']],
    [rule('sip'), 'alice@corp.example', ['sip:alice@corp.example']],
    [rule('tel'), '+1 555 0101', ['tel:+15550101']],
    [rule('tel'), '2001', ['tel:2001']],
    [rule('tel'), 'x2003', ['tel:2003']],
    [rule('tel'), 'ext. 2003', ['tel:2003']],
    [rule('tel'), '+1 555 0100 x2003', ['tel:2003']],
    [rule('tel'), '555.100.0109', ['tel:+15551000109']],
    [rule('proxy-addresses'), 'SMTP:Alice@corp.example', ['mailto:Alice@corp.example']],
    [rule('proxy-addresses'), 'smtp:alias@corp.example', ['mailto:alias@corp.example']],
    [rule('proxy-addresses'), 'SIP:alice@corp.example', ['sip:alice@corp.example']],
    [rule('proxy-addresses'), 'X500:/o=Corp/ou=Exchange/cn=alice', []],
    [rule('labeled-uri'), 'sip:alice@corp.example Desk phone', ['sip:alice@corp.example']],
    [rule('labeled-uri'), 'xmpp:alice@chat.corp.example', ['xmpp:alice@chat.corp.example']],
    [rule('labeled-uri'), 'https://corp.example/~alice Home page', []],
    [rule('uuid', 'ldap'), '3A1E2F50-1234-4cde-8f00-0123456789AB', ['ldap:3a1e2f50-1234-4cde-8f00-0123456789ab']],
    [rule('guid'), Buffer.from('00112233445566778899aabbccddeeff', 'hex'), ['ad:33221100-5544-7766-8899-aabbccddeeff']],
    [rule('guid', 'entra-ad'), Buffer.from('0011', 'hex'), []],
  ] as const)('%o %s', (r, v, want) => {
    expect(identitiesFromValue(r, v, phone)).toEqual(want);
  });
});

describe('DN helpers', () => {
  it.each([
    ['CN=Sales,OU=Groups,DC=corp,DC=example', 'Sales'],
    ['cn=Smith\\, John,ou=People,dc=corp', 'Smith, John'],
    ['cn=R\\26D,ou=Groups', 'R&D'],
    ['nothing', undefined],
  ])('firstRdnValue(%s)', (dn, want) => expect(firstRdnValue(dn)).toBe(want));

  it('dnKey ignores case and spaces around separators', () => {
    expect(dnKey('uid=Alice, ou=People ,DC=Corp')).toBe(dnKey('UID=alice,ou=people,dc=corp'));
  });

  it('guidToString rejects other lengths', () => expect(guidToString(Buffer.alloc(4))).toBeUndefined());
});

describe('entryToPerson', () => {
  const ad = ldapConfigSchema.parse({ url: 'ldap://dc:389', flavor: 'ad', baseDn: 'DC=corp,DC=example', phone: { defaultCountryCode: '1', nationalPrefix: '' }, teams: { from: 'memberOf', include: '^team-' } });
  const m = { config: ad, include: /^team-/i };

  // The hub folds the case of SIP users (core normalizeIdentity), so two spellings are one identity.
  it('maps an AD user with every identity kind and teams from memberOf', () => {
    const r = entryToPerson(
      entry('CN=Alice Example,OU=Users,DC=corp,DC=example', {
        sAMAccountName: ['Alice'],
        displayName: ['Alice Example'],
        mail: ['Alice@Corp.Example'],
        userPrincipalName: ['alice@corp.example'],
        telephoneNumber: ['+1 (555) 010-1234'],
        ipPhone: ['2001'],
        'msRTCSIP-PrimaryUserAddress': ['sip:Alice@Corp.Example'],
        proxyAddresses: ['SMTP:alice@corp.example', 'smtp:a.example@corp.example', 'SIP:alice@corp.example'],
        objectGUID: [Buffer.from('00112233445566778899aabbccddeeff', 'hex')],
        memberOf: ['CN=Team-Sales,OU=Groups,DC=corp,DC=example', 'CN=Domain Users,CN=Users,DC=corp,DC=example'],
      }),
      m,
    );
    expect(r).toEqual({
      ok: true,
      dn: 'CN=Alice Example,OU=Users,DC=corp,DC=example',
      stableId: '33221100-5544-7766-8899-aabbccddeeff',
      unusable: [],
      truncated: [],
      person: {
        id: 'alice',
        name: 'Alice Example',
        identities: ['mailto:alice@corp.example', 'upn:alice@corp.example', 'tel:+15550101234', 'tel:2001', 'sip:alice@corp.example', 'mailto:a.example@corp.example', 'ad:33221100-5544-7766-8899-aabbccddeeff'],
        teams: ['team-sales'],
        personal: [],
        blocked: [],
      },
    });
  });

  it.each([
    [{ displayName: ['No Id'] }, /no sAMAccountName attribute/],
    [{ sAMAccountName: ['bad id!'] }, /invalid person id "bad id!"/],
    [{ sAMAccountName: ['-lead'] }, /invalid person id/],
  ])('reports an entry that cannot be a person: %o', (attrs, reason) => {
    const r = entryToPerson(entry('CN=x,DC=corp', attrs), m);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toMatch(reason);
  });

  it('says which values gave no identity and which were cut, and keeps the person', () => {
    const ol = ldapConfigSchema.parse({ url: 'ldap://h', baseDn: 'dc=x', phone: { defaultCountryCode: '1', nationalPrefix: '' } });
    const long = 'A'.repeat(2048);
    const r = entryToPerson(entry('uid=erin,dc=x', { uid: ['erin'], displayName: [long], mail: ['erin at corp'], telephoneNumber: ['call reception', 'x2003'], entryUUID: ['3A1E2F50-1234-4cde-8f00-0123456789AB'] }), { config: ol });
    expect(r).toMatchObject({
      ok: true,
      stableId: '3a1e2f50-1234-4cde-8f00-0123456789ab',
      unusable: [
        { attribute: 'mail', value: 'erin at corp', reason: 'not an address (user@domain)' },
        { attribute: 'telephoneNumber', value: 'call reception', reason: 'not a phone number: no tel: identity' },
      ],
      truncated: [{ attribute: 'displayName', length: 2048, limit: 256 }],
    });
    expect(r.ok && r.person.name).toBe(long.slice(0, 256));
    expect(r.ok && r.person.identities).toEqual(['tel:2003', 'ldap:3a1e2f50-1234-4cde-8f00-0123456789ab']);
  });

  it('teams from an attribute and from groups', () => {
    const byAttr = ldapConfigSchema.parse({ url: 'ldap://h', baseDn: 'dc=x', teams: { from: 'attribute', attribute: 'departmentNumber' } });
    const r1 = entryToPerson(entry('uid=bob,dc=x', { uid: ['bob'], departmentNumber: ['Support', 'support '] }), { config: byAttr });
    expect(r1.ok && r1.person.teams).toEqual(['support']);
    const byGroups = ldapConfigSchema.parse({ url: 'ldap://h', baseDn: 'dc=x' });
    const r2 = entryToPerson(entry('uid=bob,dc=x', { uid: ['bob'] }), { config: byGroups, groupTeams: new Map([['uid=bob,dc=x', ['Sales', 'Support']]]) });
    expect(r2.ok && r2.person.teams).toEqual(['sales', 'support']);
  });
});

describe('ldapConfigSchema', () => {
  it('fills OpenLDAP defaults', () => {
    const c = ldapConfigSchema.parse({ url: 'ldap://127.0.0.1:389', baseDn: 'dc=corp,dc=example' });
    expect(c).toMatchObject({ idAttribute: 'uid', changeAttribute: 'modifyTimestamp', filter: '(objectClass=inetOrgPerson)', pageSize: 500, fullSyncInterval: 86_400_000, incrementalInterval: 300_000 });
    expect(c.teams.from).toBe('groups');
  });

  it.each([
    [{ url: 'http://x', baseDn: 'dc=x' }, 'url'],
    [{ url: 'ldaps://x:636', startTls: true, baseDn: 'dc=x' }, 'startTls'],
    [{ url: 'ldap://x', baseDn: 'dc=x', bindDn: 'cn=hub,dc=x' }, 'bindPassword'],
    [{ url: 'ldap://x', baseDn: 'dc=x', publish: { attribute: 'mail' } }, 'publish.attribute'],
    [{ url: 'ldap://x', baseDn: 'dc=x', teams: { from: 'memberOf', include: '(' } }, 'teams.include'],
  ])('refuses %o at %s', (cfg, path) => {
    const r = ldapConfigSchema.safeParse(cfg);
    expect(r.success).toBe(false);
    if (!r.success) expect(r.error.issues.map((i) => i.path.join('.'))).toContain(path);
  });
});
