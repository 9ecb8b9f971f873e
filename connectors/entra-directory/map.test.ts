import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { phoneOptionsSchema } from '../../core/directory/phone.ts';
import { directoryObjectPageSchema, parseGraph, usersDeltaPageSchema, type GraphUser } from '../msgraph-shared/schemas.ts';
import { personIdOf, userIdentities, userNotes, userToPerson, type MapOptions } from './map.ts';

const load = (name: string): unknown => JSON.parse(readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8'));
const OID = '6e5e2b1c-1111-4c3a-9a0e-0000000000a1';
const opts: MapOptions = { idFrom: 'upn', teamsFrom: 'none', userTypes: ['Member'], includeDisabled: false, phone: phoneOptionsSchema.parse({ defaultCountryCode: '1', nationalPrefix: '' }) };
const user = (over: Partial<GraphUser> = {}): GraphUser => ({ id: OID, userPrincipalName: 'Alice.Example@corp.example', displayName: 'Alice Example', ...over });

describe('personIdOf', () => {
  it.each([
    [{ userPrincipalName: 'Alice.Example@corp.example' }, 'upn', 'alice.example'],
    [{ userPrincipalName: 'BOB@corp.example' }, 'upn', 'bob'],
    [{ userPrincipalName: null }, 'upn', /no userPrincipalName/],
    [{ userPrincipalName: 'bob_partner.example#EXT#@corp.onmicrosoft.com' }, 'upn', /invalid person id "bob_partner.example#ext#"/],
    [{ mailNickname: 'AExample' }, 'mailNickname', 'aexample'],
    [{ mailNickname: '' }, 'mailNickname', /no mailNickname/],
  ] as const)('%j by %s -> %s', (over, idFrom, want) => {
    const r = personIdOf(user(over as Partial<GraphUser>), idFrom);
    if (typeof want === 'string') expect(r).toEqual({ id: want });
    else expect('reason' in r ? r.reason : '').toMatch(want);
  });
});

describe('userIdentities', () => {
  it('maps object id, UPN, mail, proxyAddresses and phones, normalized and deduplicated', () => {
    const ids = userIdentities(
      user({
        mail: 'Alice@corp.example',
        proxyAddresses: ['SMTP:alice@corp.example', 'smtp:a.example@corp.example', 'SIP:Alice@corp.example', 'X500:/o=ExchangeLabs/ou=x', 'smtp:not-an-address'],
        businessPhones: ['+1 (555) 010-0101', 'call me'],
        mobilePhone: '555 010 0199',
      }),
      opts.phone,
    );
    expect(ids.sort()).toEqual(
      [`entra:${OID}`, 'upn:alice.example@corp.example', 'mailto:alice@corp.example', 'mailto:a.example@corp.example', 'sip:alice@corp.example', 'tel:+15550100101', 'tel:+15550100199'].sort(),
    );
  });
  it('gives only the object id when nothing else is set', () => {
    expect(userIdentities({ id: OID.toUpperCase() }, opts.phone)).toEqual([`entra:${OID}`]);
  });
});

describe('userToPerson', () => {
  it.each([
    ['a member', user(), opts, { ok: true }],
    ['a removed user', user({ '@removed': { reason: 'changed' } }), opts, { ok: false, kind: 'excluded' }],
    ['a disabled account', user({ accountEnabled: false }), opts, { ok: false, kind: 'excluded', reason: 'account disabled' }],
    ['a disabled account with includeDisabled', user({ accountEnabled: false }), { ...opts, includeDisabled: true }, { ok: true }],
    ['a guest', user({ userType: 'Guest' }), opts, { ok: false, kind: 'excluded', reason: 'userType Guest' }],
    ['a guest when guests are wanted', user({ userType: 'Guest' }), { ...opts, userTypes: ['member', 'guest'] }, { ok: true }],
    ['a user without UPN', user({ userPrincipalName: undefined }), opts, { ok: false, kind: 'invalid' }],
  ] as const)('%s', (_name, u, o, want) => {
    expect(userToPerson(u, o)).toMatchObject(want);
  });

  it('teams from the department or from group members, lower-cased', () => {
    expect(userToPerson(user({ department: ' Sales ' }), { ...opts, teamsFrom: 'department' })).toMatchObject({ ok: true, person: { teams: ['sales'] } });
    expect(userToPerson(user({ department: null }), { ...opts, teamsFrom: 'department' })).toMatchObject({ ok: true, person: { teams: [] } });
    const groupTeams = new Map([[OID, ['support', 'sales']]]);
    expect(userToPerson(user(), { ...opts, teamsFrom: 'groups', groupTeams })).toMatchObject({ ok: true, person: { id: 'alice.example', name: 'Alice Example', teams: ['sales', 'support'] } });
  });
});

describe('userNotes', () => {
  it('lists phone values that are no number and a displayName cut to 256 characters', () => {
    const u = { id: '0f2c9b1e-1111-4222-8333-444455556666', userPrincipalName: 'kim@corp.example', displayName: 'K'.repeat(2048), businessPhones: ['x2003', 'reception'], mobilePhone: '+1 555 010 0199' } as GraphUser;
    expect(userNotes(u, opts.phone)).toEqual({
      unusable: [{ attribute: 'businessPhones', value: 'reception', reason: 'not a phone number: no tel: identity' }],
      truncated: [{ attribute: 'displayName', length: 2048, limit: 256 }],
    });
    expect(userIdentities(u, opts.phone)).toEqual(expect.arrayContaining(['tel:2003', 'tel:+15550100199']));
  });
});

describe('schemas accept the published examples', () => {
  it('initial delta page with a nextLink and an @removed entry', () => {
    const p = parseGraph(usersDeltaPageSchema, load('users-delta-initial.response.json'), 'f');
    expect(p['@odata.nextLink']).toMatch(/\$skiptoken=/);
    expect(p.value.filter((u) => u['@removed'] !== undefined).map((u) => u['@removed']!.reason)).toEqual(['deleted']);
  });
  it('final delta page with a deltaLink, default properties page, group members', () => {
    expect(parseGraph(usersDeltaPageSchema, load('users-delta-final.response.json'), 'f')['@odata.deltaLink']).toMatch(/\$deltatoken=/);
    const u = parseGraph(usersDeltaPageSchema, load('users-delta-default-properties.response.json'), 'f').value[0]!;
    // The placeholder values of the example are no addresses or numbers: only the object id remains.
    expect(userIdentities(u, opts.phone)).toEqual(['entra:id-value']);
    expect(parseGraph(directoryObjectPageSchema, load('group-members.response.json'), 'f').value).toEqual([{ id: 'id-value' }]);
  });
  it('refuses a malformed page naming the field', () => {
    expect(() => parseGraph(usersDeltaPageSchema, { value: [{ id: 7 }] }, 'users delta')).toThrow(/users delta: value\.0\.id/);
    expect(() => parseGraph(usersDeltaPageSchema, { value: [{ id: 'x', businessPhones: 'not a list' }] }, 'users delta')).toThrow(/value\.0\.businessPhones/);
  });
});
