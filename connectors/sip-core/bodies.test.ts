import { describe, expect, it } from 'vitest';
import { buildDialogInfo, parseDialogInfo } from './dialog-info.ts';
import { partsOfType } from './multipart.ts';
import { buildPidf, parsePidf } from './pidf.ts';
import { parseXml, XmlError } from './xml.ts';


describe('PIDF (RFC 3863) and RPID (RFC 4480); the RFC examples are tested in sip-presence/map.test.ts', () => {
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

describe('dialog-info (RFC 4235); the RFC examples are tested in sip-dialog/map.test.ts', () => {
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
