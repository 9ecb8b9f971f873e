import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parsePidf } from '../sip-core/pidf.ts';
import { neutralToPidf, pidfMachineState, pidfToNeutral, RPID_TO_NEUTRAL } from './map.ts';

const fx = (n: string): string => readFileSync(new URL(`./fixtures/${n}`, import.meta.url), 'utf8');
const NOW = Date.parse('2026-11-22T10:00:00Z');
const pidf = (person: string, basic = 'open'): string =>
  `<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:a@x"><tuple id="t"><status><basic>${basic}</basic></status></tuple><dm:person id="p">${person}</dm:person></presence>`;

describe('PIDF/RPID -> neutral (RFC 3863, RFC 4480 examples)', () => {
  it.each([
    ['RFC 3863 simple example (open, no RPID)', fx('rfc3863-simple.xml'), NOW, { availability: 'available' }],
    ['RFC 3863 extended example (open; im:busy is not RPID; the tuple note is the text)', fx('rfc3863-extended.xml'), NOW, { availability: 'available', activity: { text: "Don't Disturb Please!" }, sourceTime: '2001-10-27T16:49:29.000Z' }],
    ['RFC 4480 example inside its from/until window: away', fx('rfc4480-example.xml'), Date.parse('2005-05-30T14:00:00+05:00'), { availability: 'away', activity: { text: 'Far away' }, sourceTime: '2005-10-27T16:49:29.000Z' }],
    ['RFC 4480 example after its until: the activity has lapsed', fx('rfc4480-example.xml'), NOW, { availability: 'available', activity: { text: 'Scoring 120' }, sourceTime: '2005-10-27T16:49:29.000Z' }],
  ])('%s', (_n, xml, now, want) => {
    expect(pidfToNeutral(parsePidf(xml), now)).toEqual(want);
  });

  it.each([
    ['<rpid:activities><rpid:on-the-phone/></rpid:activities>', 'open', { availability: 'busy', activity: { token: 'on-the-phone' } }],
    ['<rpid:activities><rpid:meeting/></rpid:activities>', 'open', { availability: 'busy', activity: { token: 'in-a-meeting' } }],
    ['<rpid:activities><rpid:busy/></rpid:activities>', 'open', { availability: 'busy' }],
    ['<rpid:activities><rpid:away/></rpid:activities>', 'open', { availability: 'away' }],
    ['<rpid:activities><rpid:vacation/></rpid:activities>', 'open', { availability: 'away', activity: { token: 'out-of-office' } }],
    ['<rpid:activities><rpid:presentation/></rpid:activities>', 'open', { availability: 'dnd', activity: { token: 'in-presentation' } }],
    ['<rpid:activities><rpid:unknown/></rpid:activities>', 'open', { availability: 'available' }],
    ['<rpid:activities><rpid:other>Gardening</rpid:other></rpid:activities>', 'open', { availability: 'busy', activity: { text: 'Gardening' } }],
    ['<rpid:activities><rpid:meeting/><rpid:vacation/></rpid:activities>', 'open', { availability: 'away', activity: { token: 'out-of-office' } }],
    ['<rpid:activities><rpid:on-the-phone/></rpid:activities>', 'closed', { availability: 'offline' }],
    ['', 'closed', { availability: 'offline' }],
  ])('%s with basic %s', (person, basic, want) => {
    expect(pidfToNeutral(parsePidf(pidf(person, basic)), NOW)).toEqual(want);
  });

  it('states nothing for an empty document (unknown, not offline)', () => {
    expect(pidfToNeutral(parsePidf('<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:a@x"/>'), NOW)).toBeUndefined();
  });

  it('maps every RFC 4480 activity the table knows to a class', () => {
    expect(Object.keys(RPID_TO_NEUTRAL).length).toBeGreaterThanOrEqual(20);
  });
});

describe('RFC 4480 user-input -> machine state', () => {
  const doc = (body: string): string =>
    `<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:a@x">${body}</presence>`;
  const open = (ui = ''): string => `<tuple id="t"><status><basic>open</basic></status>${ui}</tuple>`;
  it.each([
    ['the RFC 4480 example: device pc147 idle, idle-threshold 600, last-input given', fx('rfc4480-example.xml'), { machineState: 'inactive', lastInput: '2004-10-21T18:20:00.000Z' }],
    ['person idle with last-input', doc(`${open()}<dm:person id="p"><rpid:user-input last-input="2026-11-22T09:41:00Z">idle</rpid:user-input></dm:person>`), { machineState: 'inactive', lastInput: '2026-11-22T09:41:00.000Z' }],
    ['person idle with idle-threshold only: no last input known', doc(`${open()}<dm:person id="p"><rpid:user-input idle-threshold="300">idle</rpid:user-input></dm:person>`), { machineState: 'inactive' }],
    ['person idle, no attributes', doc(`${open()}<dm:person id="p"><rpid:user-input>idle</rpid:user-input></dm:person>`), { machineState: 'inactive' }],
    ['person active (last-input ignored: active is re-asserted, not aged)', doc(`${open()}<dm:person id="p"><rpid:user-input idle-threshold="600" last-input="2026-11-22T09:58:00Z">active</rpid:user-input></dm:person>`), { machineState: 'active' }],
    ['the person summarises its devices: person idle wins over an active device', doc(`${open()}<dm:device id="d"><rpid:user-input>active</rpid:user-input><dm:deviceID>urn:x</dm:deviceID></dm:device><dm:person id="p"><rpid:user-input>idle</rpid:user-input></dm:person>`), { machineState: 'inactive' }],
    ['two devices, one active: the most active counts', doc(`${open()}<dm:device id="d1"><rpid:user-input last-input="2026-11-22T09:00:00Z">idle</rpid:user-input></dm:device><dm:device id="d2"><rpid:user-input>active</rpid:user-input></dm:device><dm:person id="p"/>`), { machineState: 'active' }],
    ['two idle devices: the latest last input', doc(`${open()}<dm:device id="d1"><rpid:user-input last-input="2026-11-22T09:00:00Z">idle</rpid:user-input></dm:device><dm:device id="d2"><rpid:user-input last-input="2026-11-22T09:30:00Z">idle</rpid:user-input></dm:device><dm:person id="p"/>`), { machineState: 'inactive', lastInput: '2026-11-22T09:30:00.000Z' }],
    ['user-input in an open tuple (service)', doc(`${open('<rpid:user-input>idle</rpid:user-input>')}`), { machineState: 'inactive' }],
    ['user-input in a closed tuple does not count', doc(`<tuple id="t"><status><basic>closed</basic></status><rpid:user-input>active</rpid:user-input></tuple>`), undefined],
    ['a last input ahead of the hub clock is taken as now', doc(`${open()}<dm:person id="p"><rpid:user-input last-input="2026-11-22T11:00:00Z">idle</rpid:user-input></dm:person>`), { machineState: 'inactive', lastInput: '2026-11-22T10:00:00.000Z' }],
    ['an unknown value (not active/idle) is no user-input', doc(`${open()}<dm:person id="p"><rpid:user-input>asleep</rpid:user-input></dm:person>`), undefined],
    ['a malformed last-input is dropped, the state stays', doc(`${open()}<dm:person id="p"><rpid:user-input last-input="yesterday">idle</rpid:user-input></dm:person>`), { machineState: 'inactive' }],
    ['no user-input anywhere: nothing said', doc(`${open()}<dm:person id="p"><rpid:activities><rpid:busy/></rpid:activities></dm:person>`), undefined],
  ])('%s', (_n, xml, want) => {
    expect(pidfMachineState(parsePidf(xml), NOW)).toEqual(want);
  });

  it('parses idle-threshold and last-input on a person and a tuple (sip-core/pidf.ts)', () => {
    const d = parsePidf(doc(`${open('<rpid:user-input idle-threshold="120">active</rpid:user-input>')}<dm:person id="p"><rpid:user-input idle-threshold="600" last-input="2026-11-22T09:41:00Z">idle</rpid:user-input></dm:person>`));
    expect(d.tuples[0]!.userInput).toEqual({ state: 'active', idleThreshold: 120 });
    expect(d.persons[0]!.userInput).toEqual({ state: 'idle', idleThreshold: 600, lastInput: '2026-11-22T09:41:00Z' });
  });
});

describe('neutral -> PIDF/RPID', () => {
  it.each([
    [{ class: 'available', activity: { token: 'available', text: 'Available' } }, { basic: 'open', activities: [], note: 'Available' }],
    [{ class: 'busy', activity: { token: 'on-the-phone', text: 'On the phone' } }, { basic: 'open', activities: ['on-the-phone'], note: 'On the phone' }],
    [{ class: 'busy', activity: { token: 'in-a-meeting', text: 'Weekly sync' } }, { basic: 'open', activities: ['meeting'], note: 'Weekly sync' }],
    [{ class: 'dnd', activity: { token: 'dnd', text: 'Do not disturb' } }, { basic: 'open', activities: ['busy'], note: 'Do not disturb' }],
    [{ class: 'inactive', activity: { token: 'inactive', text: 'Inactive' } }, { basic: 'open', activities: [], userInput: 'idle', note: 'Inactive' }],
    [{ class: 'away', activity: { token: 'out-of-office', text: 'On holiday' } }, { basic: 'open', activities: ['vacation'], note: 'On holiday' }],
    [{ class: 'offline', activity: { token: 'offline', text: 'Offline' } }, { basic: 'closed', activities: [], note: 'Offline' }],
  ] as const)('%j', (p, want) => {
    expect(neutralToPidf(p)).toEqual(want);
  });

  it('round-trips each class through RPID to the same class', () => {
    for (const [cls, token] of [['busy', 'on-the-phone'], ['away', 'away'], ['offline', 'offline'], ['available', 'available']] as const) {
      const s = neutralToPidf({ class: cls, activity: { token, text: '' } });
      const acts = s.activities.map((a) => `<rpid:${a}/>`).join('');
      expect(pidfToNeutral(parsePidf(pidf(`<rpid:activities>${acts}</rpid:activities>`, s.basic)), NOW)?.availability).toBe(cls);
    }
  });
});

describe('the RFC 3863 and RFC 4480 examples decode (sip-core/pidf.ts)', () => {
  it('RFC 3863 simple example, with a namespace prefix on every element', () => {
    const d = parsePidf(fx('rfc3863-simple.xml'));
    expect(d.entity).toBe('pres:someone@example.com');
    expect(d.tuples).toEqual([{ id: 'sg89ae', basic: 'open', contact: 'tel:+09012345678', priority: 0.8, notes: [], activities: [] }]);
  });
  it('RFC 3863 extended example: two tuples, notes, character references decoded', () => {
    const d = parsePidf(fx('rfc3863-extended.xml'));
    expect(d.tuples.map((t) => [t.id, t.basic, t.priority])).toEqual([['bs35r9', 'open', 0.8], ['eg92n8', 'open', 1]]);
    expect(d.tuples[0]!.notes).toEqual(["Don't Disturb Please!", "Ne derangez pas, s'il vous plait"]);
    expect(d.tuples[0]!.timestamp).toBe('2001-10-27T16:49:29Z');
    expect(d.notes).toEqual(["I'll be in Tokyo next week", '来週東京にいます']);
  });
  it('RFC 4480 example: person activities with from/until, device user-input', () => {
    const d = parsePidf(fx('rfc4480-example.xml'));
    expect(d.tuples).toHaveLength(3);
    expect(d.persons).toEqual([
      {
        id: 'p1',
        activities: ['away'],
        activityNote: 'Far away',
        from: '2005-05-30T12:00:00+05:00',
        until: '2005-05-30T17:00:00+05:00',
        notes: ['Scoring 120'],
        timestamp: '2005-05-30T16:09:44+05:00',
      },
    ]);
    expect(d.devices).toEqual([{ id: 'pc147', userInput: { state: 'idle', idleThreshold: 600, lastInput: '2004-10-21T13:20:00.000-05:00' } }]);
  });
});
