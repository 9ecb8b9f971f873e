import { describe, expect, it } from 'vitest';
import { Directory } from './directory.ts';
import { normalizeIdentity } from './identity.ts';
import { personSchema } from '../model/person.ts';

describe('normalizeIdentity', () => {
  it.each([
    ['SIP:Alice@CORP.Example;transport=tcp', 'sip:alice@corp.example'],
    ['sips:alice@corp.example?subject=x', 'sip:alice@corp.example'],
    ['tel:+1 (555) 010-1;ext=2', 'tel:+15550101'],
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
