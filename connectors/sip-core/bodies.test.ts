import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { buildDialogInfo, parseDialogInfo } from './dialog-info.ts';
import { partsOfType } from './multipart.ts';
import { buildPidf, parsePidf } from './pidf.ts';
import { parseXml, XmlError } from './xml.ts';

const fixture = (n: string): string => readFileSync(new URL(`./fixtures/${n}`, import.meta.url), 'utf8');

describe('PIDF (RFC 3863) and RPID (RFC 4480) examples', () => {
  it('RFC 3863 simple example, with a namespace prefix on every element', () => {
    const d = parsePidf(fixture('rfc3863-simple.xml'));
    expect(d.entity).toBe('pres:someone@example.com');
    expect(d.tuples).toEqual([{ id: 'sg89ae', basic: 'open', contact: 'tel:+09012345678', priority: 0.8, notes: [], activities: [] }]);
  });
  it('RFC 3863 extended example: two tuples, notes, character references decoded', () => {
    const d = parsePidf(fixture('rfc3863-extended.xml'));
    expect(d.tuples.map((t) => [t.id, t.basic, t.priority])).toEqual([['bs35r9', 'open', 0.8], ['eg92n8', 'open', 1]]);
    expect(d.tuples[0]!.notes).toEqual(["Don't Disturb Please!", "Ne derangez pas, s'il vous plait"]);
    expect(d.tuples[0]!.timestamp).toBe('2001-10-27T16:49:29Z');
    expect(d.notes).toEqual(["I'll be in Tokyo next week", '来週東京にいます']);
  });
  it('RFC 4480 example: person activities with from/until, device user-input', () => {
    const d = parsePidf(fixture('rfc4480-example.xml'));
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
    expect(d.devices).toEqual([{ id: 'pc147', userInput: 'idle', lastInput: '2004-10-21T13:20:00.000-05:00' }]);
  });
  it('round-trips what the publisher builds', () => {
    const xml = buildPidf({ entity: 'sip:a&b@x', tupleId: 't1', personId: 'p1', basic: 'open', activities: ['on-the-phone', 'bad token<'], note: 'On <the> phone' });
    const d = parsePidf(xml);
    expect(d.entity).toBe('sip:a&b@x');
    expect(d.persons[0]).toMatchObject({ id: 'p1', activities: ['on-the-phone'], notes: ['On <the> phone'] });
    expect(d.tuples[0]).toMatchObject({ id: 't1', basic: 'open' });
  });
  it.each([
    ['no entity', '<presence xmlns="urn:ietf:params:xml:ns:pidf"/>', /entity/],
    ['a wrong root', '<foo/>', /expected a <presence> root element, found <foo>/],
    ['malformed XML', '<presence entity="x"><tuple></presence>', /malformed XML/],
  ])('refuses %s', (_n, xml, reason) => expect(() => parsePidf(xml)).toThrow(reason));
});

describe('safe XML', () => {
  it.each([
    ['an external entity (XXE)', '<?xml version="1.0"?><!DOCTYPE p [<!ENTITY x SYSTEM "file:///etc/passwd">]><presence entity="a">&x;</presence>'],
    ['billion laughs', '<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]><presence entity="a">&lol2;</presence>'],
    ['a lower-case doctype', '<!doctype presence><presence entity="a"/>'],
  ])('refuses %s', (_n, xml) => expect(() => parseXml(xml)).toThrow(XmlError));
  it('leaves unknown entity references unexpanded', () => {
    expect(parsePidf('<presence entity="a"><note>&foo; &amp; &#65;</note></presence>').notes).toEqual(['&foo; & A']);
  });
  it('refuses oversized bodies', () => expect(() => parseXml(`<a>${'x'.repeat(300_000)}</a>`)).toThrow(/larger than/));
});

describe('dialog-info (RFC 4235) examples', () => {
  it.each([
    ['rfc4235-trying.xml', { version: 0, state: 'full', entity: 'sip:alice@example.com' }, { id: 'as7d900as8', state: 'trying', direction: 'initiator', callId: 'a84b4c76e66710', localTag: '1928301774' }],
    ['rfc4235-confirmed.xml', { version: 1, state: 'full' }, { state: 'confirmed', remoteTag: '456887766', remoteIdentity: 'sip:bob@example.org', localIdentity: 'sip:alice@example.com' }],
    ['rfc4235-early-recipient.xml', { version: 2, state: 'partial', entity: 'sip:bob@example.org' }, { state: 'early', direction: 'recipient', remoteIdentity: 'sip:carol@example.net' }],
    ['rfc4235-terminated.xml', { version: 3, state: 'partial' }, { state: 'terminated', event: 'remote-bye' }],
  ])('%s', (file, doc, dialog) => {
    const d = parseDialogInfo(fixture(file));
    expect(d).toMatchObject(doc);
    expect(d.dialogs[0]).toMatchObject(dialog);
  });
  it('round-trips the builder', () => {
    const d = { version: 5, state: 'full' as const, entity: 'sip:100@pbx', dialogs: [{ id: 'd1', state: 'confirmed' as const, direction: 'recipient' as const, remoteIdentity: 'sip:200@pbx' }] };
    expect(parseDialogInfo(buildDialogInfo(d))).toEqual(d);
  });
  it.each([
    ['a missing version', '<dialog-info state="full" entity="sip:a@b"/>', /version/],
    ['a bad state', '<dialog-info version="1" state="half" entity="sip:a@b"/>', /neither full nor partial/],
    ['an unknown dialog state', '<dialog-info version="1" state="full" entity="sip:a@b"><dialog id="x"><state>ringing</state></dialog></dialog-info>', /unknown state/],
  ])('refuses %s', (_n, xml, reason) => expect(() => parseDialogInfo(xml)).toThrow(reason));
});

describe('multipart/related resource lists (RFC 4662 section 5)', () => {
  it('finds the PIDF parts, including nested ones', () => {
    const pidf = (u: string): string => `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:${u}@x"><tuple id="t"><status><basic>open</basic></status></tuple></presence>`;
    const inner = `--in\r\nContent-Type: application/pidf+xml\r\n\r\n${pidf('carol')}\r\n--in--\r\n`;
    const body = [
      '--50UBfW7LSCVLtggUPe5z',
      'Content-Transfer-Encoding: binary',
      'Content-ID: <nXYxAE@pres.example.com>',
      'Content-Type: application/rlmi+xml;charset="UTF-8"',
      '',
      '<list xmlns="urn:ietf:params:xml:ns:rlmi" uri="sip:adam-friends@pres.example.com" version="1" fullState="true"/>',
      '--50UBfW7LSCVLtggUPe5z',
      'Content-ID: <bUZBsM@pres.example.com>',
      'Content-Type: application/pidf+xml;charset="UTF-8"',
      '',
      pidf('bob'),
      '--50UBfW7LSCVLtggUPe5z',
      'Content-Type: multipart/related;type="application/pidf+xml";boundary=in',
      '',
      inner,
      '--50UBfW7LSCVLtggUPe5z--',
      '',
    ].join('\r\n');
    const parts = partsOfType(body, 'multipart/related;type="application/rlmi+xml";start="<nXYxAE@pres.example.com>";boundary="50UBfW7LSCVLtggUPe5z"', 'application/pidf+xml');
    expect(parts.map((p) => parsePidf(p.body).entity)).toEqual(['sip:bob@x', 'sip:carol@x']);
  });
});
