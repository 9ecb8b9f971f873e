import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { xml } from '@xmpp/client';
import { describe, expect, it } from 'vitest';
import type { Presence } from '../../core/model/presence.ts';
import { chooseResource, parseJid, PresenceRefused, readPresence, toNeutral, toOutbound, type Inbound } from './map.ts';
import { parseStream } from './xml-guard.ts';

const NOW = Date.parse('2026-11-22T10:00:00Z');
const fixture = parseStream(readFileSync(join(import.meta.dirname, 'fixtures/rfc6121-presence.txt'), 'utf8'));
const read = (i: number): Inbound => readPresence(fixture.elements[i]!, NOW);

describe('readPresence on the RFC 6121 / XEP-0319 / XEP-0256 examples', () => {
  it('reads the whole fixture', () => {
    expect(fixture.refusal).toBeUndefined();
    expect(fixture.elements).toHaveLength(11);
  });

  it.each([
    [0, { kind: 'available', from: { bare: 'juliet@example.com', resource: 'balcony' }, presence: { priority: 0 } }],
    [1, { kind: 'available', presence: { show: 'dnd', status: 'Wooing Juliet', priority: 1 } }],
    [2, { kind: 'available', presence: { show: 'away', priority: -1 } }],
    [3, { kind: 'available', presence: { show: 'xa', status: 'Gone to the ball' } }],
    [4, { kind: 'available', presence: { show: 'chat' } }],
    [5, { kind: 'unavailable', from: { bare: 'juliet@example.com', resource: 'balcony' } }],
    [6, { kind: 'available', presence: { show: 'away', idleSince: Date.parse('1969-07-21T02:56:15Z') } }],
    [7, { kind: 'available', presence: { show: 'away', status: 'I shall return!', idleSince: NOW - 600_000 } }],
    [8, { kind: 'subscribe', from: { bare: 'romeo@example.net', resource: '' } }],
    [9, { kind: 'probe', from: { resource: 'orchard' } }],
    [10, { kind: 'error', condition: 'remote-server-not-found' }],
  ] as const)('example %i', (i, expected) => {
    expect(read(i)).toMatchObject(expected);
  });
});

describe('readPresence refuses malformed presence, naming what is wrong', () => {
  it.each([
    [xml('presence', {}), 'without a valid from'],
    [xml('presence', { from: '@nodomain' }), 'without a valid from'],
    [xml('presence', { from: 'a@b/c' }, xml('show', {}, 'busy')), 'none of away, chat, dnd, xa'],
    [xml('presence', { from: 'a@b/c' }, xml('priority', {}, '300')), 'priority'],
    [xml('presence', { from: 'a@b/c' }, xml('priority', {}, 'high')), 'priority'],
    [xml('presence', { from: 'a@b/c', type: 'invisible' }), 'unknown type'],
    [xml('presence', { from: 'a@b/c' }, xml('idle', { xmlns: 'urn:xmpp:idle:1', since: 'yesterday' })), 'idle since'],
    [xml('presence', { from: 'a@b/c' }, xml('query', { xmlns: 'jabber:iq:last', seconds: '-5' })), 'last activity'],
    [xml('message', { from: 'a@b/c' }), 'not a presence'],
  ])('%s', (el, mentions) => {
    expect(() => readPresence(el, NOW)).toThrow(PresenceRefused);
    expect(() => readPresence(el, NOW)).toThrow(mentions);
  });

  it('cuts an overlong status and never takes an idle time in the future', () => {
    const p = readPresence(xml('presence', { from: 'a@b/c' }, xml('status', {}, 'x'.repeat(1000)), xml('idle', { xmlns: 'urn:xmpp:idle:1', since: '2030-01-01T00:00:00Z' })), NOW);
    expect(p.kind === 'available' && p.presence.status?.length).toBe(256);
    expect(p.kind === 'available' && p.presence.idleSince).toBe(NOW);
  });
});

describe('parseJid', () => {
  it.each([
    ['Bob@Corp.Example/Laptop', { bare: 'bob@corp.example', local: 'bob', domain: 'corp.example', resource: 'Laptop' }],
    ['presence.corp.example', { bare: 'presence.corp.example', domain: 'presence.corp.example', resource: '' }],
    ['a@b/c/d', { bare: 'a@b', resource: 'c/d' }],
  ])('%s', (s, expected) => expect(parseJid(s)).toMatchObject(expected));
  it.each([[''], ['@x'], ['a@'], [undefined]])('refuses %s', (s) => expect(parseJid(s)).toBeUndefined());
});

describe('show to availability', () => {
  it.each([
    [{ priority: 0 }, { availability: 3500 }],
    [{ show: 'chat', priority: 0 }, { availability: 3000 }],
    [{ show: 'away', priority: 0 }, { availability: 12500 }],
    [{ show: 'xa', priority: 0 }, { availability: 15500 }],
    [{ show: 'dnd', status: 'Focus', priority: 0 }, { availability: 9500, text: 'Focus' }],
  ] as const)('%j', (p, expected) => expect(toNeutral(p)).toEqual(expected));

  it('the configuration overrides a show, by number or class name', () => {
    expect(toNeutral({ show: 'away', priority: 0 }, { away: 'away' })).toEqual({ availability: 15500 });
    expect(toNeutral({ show: 'dnd', priority: 0 }, { dnd: 6500 })).toEqual({ availability: 6500 });
  });
});

describe('chooseResource', () => {
  const r = (priority: number, at: number) => ({ presence: { priority }, at });
  it.each([
    [[['a', r(0, 1)], ['b', r(5, 0)]], 'b'],
    [[['a', r(1, 1)], ['b', r(1, 2)]], 'b'],
    [[['a', r(-1, 5)], ['b', r(-5, 9)]], 'a'],
    [[], undefined],
  ] as const)('%j -> %s', (entries, expected) => expect(chooseResource(new Map(entries.map(([k, v]) => [k, v])))).toBe(expected));
});

describe('the hub presence as XMPP presence, per container', () => {
  const base: Presence = { person: 'alice', availability: 6500, class: 'busy', activity: { token: 'on-the-phone', text: 'In a call' }, lastActive: NOW - 60_000, since: NOW, version: 3 };
  it('a call: dnd "In a call" for personal and team, dnd "Busy" for company and public, unavailable for blocked', () => {
    expect(toOutbound(base, 0)).toEqual({
      personal: { show: 'dnd', status: 'In a call' },
      team: { show: 'dnd', status: 'In a call' },
      company: { show: 'dnd', status: 'Busy' },
      public: { show: 'dnd', status: 'Busy' },
      blocked: null,
    });
  });
  it.each([
    ['available', {}, 'Available'],
    ['dnd', { show: 'dnd' }, 'Do not disturb'],
    ['inactive', { show: 'away' }, 'Inactive'],
    ['busy-inactive', { show: 'dnd' }, 'Busy (inactive)'],
    ['away', { show: 'xa' }, 'Away'],
  ] as const)('%s', (cls, show, status) => {
    const p: Presence = { ...base, class: cls, activity: { token: cls, text: status } };
    const out = toOutbound(p, 0).company!;
    expect(out).toMatchObject({ ...show, status });
    expect(out.show).toBe((show as { show?: string }).show);
  });
  it('offline is unavailable for everyone', () => {
    const out = toOutbound({ ...base, availability: 18500, class: 'offline', activity: { token: 'offline', text: 'Offline' } }, 0);
    expect(Object.values(out)).toEqual([null, null, null, null, null]);
  });
  it('an idle class carries the last activity (XEP-0319) only where the container shows it', () => {
    const out = toOutbound({ ...base, class: 'away', availability: 15500, activity: { token: 'away', text: 'Away' } }, 0);
    expect(out.personal?.idle).toBe(new Date(NOW - 60_000).toISOString());
    expect(out.company?.idle).toBeUndefined();
  });
});
