import { describe, expect, it } from 'vitest';
import { Directory, sharedBy } from './directory.ts';
import { normalizeIdentity } from './identity.ts';
import { phoneOptionsSchema } from './phone.ts';
import { personSchema } from '../model/person.ts';

describe('normalizeIdentity', () => {
  it.each([
    ['SIP:Alice@CORP.Example;transport=tcp', 'sip:alice@corp.example'],
    ['sips:alice@corp.example?subject=x', 'sip:alice@corp.example'],
    ['tel:+1 (555) 010-1', 'tel:+15550101'],
    // An extension is the person's line, whatever the number before it (core/directory/phone.ts).
    ['tel:+1 (555) 010-1;ext=2', 'tel:2'],
    ['tel:+1 555 0100 x2003', 'tel:2003'],
    ['tel:x2003', 'tel:2003'],
    // Notes canonical names compare case-insensitively; spaces around '/' and '=' are not part of them.
    ['domino:CN=Alice Example / OU=Sales/O = Corp', 'domino:cn=alice example/ou=sales/o=corp'],
    ['tel:555.100.0109', 'tel:5551000109'],
    ['tel:2001', 'tel:2001'],
    ['MAILTO:Alice@Corp.Example', 'mailto:alice@corp.example'],
    ['xmpp:Alice@Corp.Example', 'xmpp:alice@corp.example'],
    ['entra:0f2c-ABC', 'entra:0f2c-ABC'],
  ])('%s -> %s', (input, out) => expect(normalizeIdentity(input)).toBe(out));
});

describe('Directory', () => {
  const people = [
    { id: 'alice', identities: ['sip:alice@corp.example', 'tel:+15550101'], teams: ['support'], personal: ['carol'], blocked: ['mallory'] },
    { id: 'bob', identities: ['sip:bob@corp.example', 'tel:+15550101'], teams: ['support'] },
    { id: 'carol', teams: ['sales'] },
    { id: 'mallory', teams: ['support'] },
  ].map((p) => personSchema.parse(p));
  const dir = new Directory(people, 0);

  it('resolves normalized identities and refuses a conflicting one', () => {
    expect(dir.resolve('SIP:Alice@corp.example')).toBe('alice');
    expect(dir.resolve('tel:+15550101')).toBeUndefined();
    expect(dir.conflicts).toEqual([{ identity: 'tel:+15550101', people: ['alice', 'bob'] }]);
  });

  it.each([
    ['mallory', 'blocked'],
    ['carol', 'personal'],
    ['bob', 'team'],
    ['alice', 'personal'],
    [undefined, 'public'],
    ['stranger', 'public'],
  ] as const)('gives watcher %s the %s container for alice', (watcher, container) => {
    expect(dir.containerFor(watcher, 'alice')).toBe(container);
  });

  it('gives a directory person outside the team the company container', () => {
    expect(dir.containerFor('carol', 'bob')).toBe('company');
  });
});

describe('Directory.lookup', () => {
  const us = phoneOptionsSchema.parse({ defaultCountryCode: '1', nationalPrefix: '' });
  const de = phoneOptionsSchema.parse({ defaultCountryCode: '49' });
  const people = [
    { id: 'alice', identities: ['tel:+15551000109', 'tel:2003', 'mailto:shared@corp.example'] },
    { id: 'bob', identities: ['tel:+49301234567', 'mailto:shared@corp.example'] },
    { id: 'carol', identities: ['tel:+15550101234'] },
    { id: 'erin', identities: ['tel:+10301234567'] },
  ].map((p) => personSchema.parse(p));

  it("reads a signal's tel: with the directory's dialing plan, as the entry was read", () => {
    const dir = new Directory(people, 0, { dialingPlans: [us] });
    expect(dir.resolve('tel:555.100.0109')).toBe('alice');
    expect(dir.resolve('tel:(555) 100-0109')).toBe('alice');
    expect(dir.resolve('tel:1-555-100-0109')).toBe('alice');
    expect(dir.resolve('tel:+1 555 0100 x2003')).toBe('alice');
    expect(dir.resolve('tel:555.100.0199')).toBeUndefined();
    // Without a plan a national number stays digits and finds nobody.
    expect(new Directory(people, 0).resolve('tel:555.100.0109')).toBeUndefined();
  });

  it('tries every plan; readings that find two people are a conflict, never a guess', () => {
    const both = new Directory(people, 0, { dialingPlans: [us, de] });
    expect(both.resolve('tel:555.010.1234')).toBe('carol');
    // 030 1234567 is Erin's +1 030 1234567 under the US plan and Bob's +49 30 1234567 under the German one.
    expect(both.lookup('tel:030 1234567')).toEqual({ conflict: { identity: 'tel:0301234567', people: ['erin', 'bob'] } });
    expect(new Directory(people, 0, { dialingPlans: [de] }).resolve('tel:030 1234567')).toBe('bob');
  });

  it('names the people of a conflicted identity', () => {
    const dir = new Directory(people, 0);
    expect(dir.lookup('MAILTO:Shared@corp.example')).toEqual({ conflict: { identity: 'mailto:shared@corp.example', people: ['alice', 'bob'] } });
    expect(dir.lookup('mailto:nobody@corp.example')).toBeUndefined();
    expect(dir.lookup('tel:2003')).toEqual({ person: 'alice' });
  });

  it.each([
    [['alice', 'bob'], 'identity shared by alice and bob'],
    [['alice', 'bob', 'carol'], 'identity shared by alice, bob and carol'],
    [['a', 'b', 'c', 'd', 'e', 'f', 'g'], 'identity shared by a, b, c, d, e and 2 more'],
  ])('sharedBy(%o)', (ids, want) => expect(sharedBy(ids)).toBe(want));
});
