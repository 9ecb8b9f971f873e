import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseCSeq, parseNameAddr, parseSipUri, parseVia, parseValueParams } from './header-values.ts';
import { SipHeaders } from './message.ts';
import { StreamFramer } from './framer.ts';
import { parseDatagram, parseMessage, SipParseError } from './parser.ts';
import { serialize } from './serializer.ts';

const fixture = (n: string): Buffer => readFileSync(new URL(`./fixtures/${n}`, import.meta.url));
const CRLF = '\r\n';
const minimal = (extra: string[] = [], body = ''): string =>
  [
    'SUBSCRIBE sip:alice@example.com SIP/2.0',
    'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc;rport',
    'From: <sip:hub@example.com>;tag=1',
    'To: <sip:alice@example.com>',
    'Call-ID: c1',
    'CSeq: 1 SUBSCRIBE',
    ...extra,
  ].join(CRLF) + CRLF + CRLF + body;

describe('SIP parser (RFC 3261 section 7)', () => {
  it('expands compact forms, unfolds continuation lines, splits multi-valued headers, truncates a UDP body to Content-Length', () => {
    const m = parseDatagram(fixture('notify-compact.sip'));
    expect(m.kind).toBe('request');
    if (m.kind !== 'request') return;
    expect(m.method).toBe('NOTIFY');
    expect(m.headers.get('Call-ID')).toBe('a84b4c76e66710@pc33.example.com');
    expect(m.headers.get('Event')).toBe('presence');
    expect(m.headers.getAll('Via')).toHaveLength(3);
    expect(m.headers.get('Subject')).toBe('a folded subject line');
    expect(parseNameAddr(m.headers.get('From')!)).toEqual({ display: 'Alice, the one', uri: 'sip:alice@example.com', params: { tag: '1928301774' } });
    expect(m.body.toString()).toBe('body');
  });

  it.each([
    ['a garbage start line', 'HELLO WORLD\r\n\r\n', /invalid start line/],
    ['a missing Call-ID', minimal().replace('Call-ID: c1\r\n', ''), /missing Call-ID/],
    ['a CSeq method mismatch', minimal().replace('CSeq: 1 SUBSCRIBE', 'CSeq: 1 NOTIFY'), /CSeq method/],
    ['an invalid CSeq', minimal().replace('CSeq: 1 SUBSCRIBE', 'CSeq: x SUBSCRIBE'), /invalid CSeq/],
    ['a Content-Length beyond the datagram', minimal(['Content-Length: 10'], 'abc'), /exceeds the 3 body bytes/],
    ['a negative Content-Length', minimal(['Content-Length: -1']), /invalid Content-Length/],
    ['conflicting Content-Lengths', minimal(['Content-Length: 1', 'l: 2'], 'ab'), /conflicting/],
    ['a header without a colon', minimal(['Broken header']), /without a name/],
    ['a continuation line first', 'SUBSCRIBE sip:a@b SIP/2.0\r\n folded\r\n\r\n', /continuation/],
    ['an invalid Via', minimal().replace('SIP/2.0/UDP 127.0.0.1:5070', 'HTTP/1.1 x'), /Via/],
    ['too many headers', minimal(Array.from({ length: 200 }, (_, i) => `X-H${i}: v`)), /more than 128/],
    ['a too long header', minimal([`X-Long: ${'a'.repeat(9000)}`]), /longer than/],
  ])('refuses %s with a clear reason', (_name, text, reason) => {
    expect(() => parseMessage(text)).toThrow(SipParseError);
    expect(() => parseMessage(text)).toThrow(reason);
  });

  it('refuses a datagram larger than the limit before parsing it', () => {
    expect(() => parseMessage(minimal([], 'x'.repeat(70_000)))).toThrow(/exceeds 65535/);
  });

  it('parses responses and round-trips through the serializer', () => {
    const text = ['SIP/2.0 200 OK', 'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bKabc', 'From: <sip:a@b>;tag=1', 'To: <sip:c@d>;tag=2', 'Call-ID: x', 'CSeq: 7 PUBLISH', 'SIP-ETag: e1', 'Expires: 60', '', ''].join(CRLF);
    const m = parseMessage(text);
    expect(m.kind === 'response' && m.status).toBe(200);
    const again = parseMessage(serialize(m));
    expect(again.headers.entries).toEqual([...m.headers.entries, ['Content-Length', '0']]);
  });

  it('serializer refuses header values that would inject lines', () => {
    const m = parseMessage(minimal());
    m.headers.set('Subject', 'x\r\nVia: evil');
    expect(() => serialize(m)).toThrow(/line break/);
  });
});

describe('stream framing (RFC 3261 section 18.3)', () => {
  const msg = (body: string): string => minimal([`Content-Length: ${Buffer.byteLength(body)}`], body);
  it('splits pipelined messages delivered byte by byte, skipping CRLF keep-alives', () => {
    const f = new StreamFramer();
    const all = Buffer.from(`\r\n\r\n${msg('hello')}${msg('')}\r\n${msg('world!')}`);
    const out = [];
    for (let i = 0; i < all.length; i++) out.push(...f.push(all.subarray(i, i + 1)));
    expect(out.map((m) => m.body.toString())).toEqual(['hello', '', 'world!']);
  });
  it('requires Content-Length on a stream', () => {
    expect(() => new StreamFramer().push(Buffer.from(minimal()))).toThrow(/missing Content-Length/);
  });
  it('refuses an endless header section', () => {
    const f = new StreamFramer();
    expect(() => {
      for (let i = 0; i < 100; i++) f.push(Buffer.from(`X-A: ${'b'.repeat(1000)}\r\n`));
    }).toThrow(/no end of headers/);
  });
});

describe('header values', () => {
  it.each([
    ['SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport', { transport: 'UDP', host: '10.0.0.1', port: 5060, params: { branch: 'z9hG4bK1', rport: '' } }],
    ['SIP/2.0/TCP [::1];branch=z9hG4bK2', { transport: 'TCP', host: '[::1]', params: { branch: 'z9hG4bK2' } }],
  ])('Via %s', (v, want) => expect(parseVia(v)).toEqual(want));
  it('CSeq, URI, Subscription-State', () => {
    expect(parseCSeq('4711 subscribe')).toEqual({ seq: 4711, method: 'SUBSCRIBE' });
    expect(parseCSeq('4294967296 NOTIFY')).toBeUndefined();
    expect(parseSipUri('sip:alice@Example.COM:5062;transport=tcp')).toEqual({ scheme: 'sip', user: 'alice', host: 'example.com', port: 5062, params: { transport: 'tcp' } });
    expect(parseValueParams('terminated;reason=probation;retry-after=30')).toEqual({ value: 'terminated', params: { reason: 'probation', 'retry-after': '30' } });
    expect(parseNameAddr('sip:bob@x;tag=9')).toEqual({ uri: 'sip:bob@x', params: { tag: '9' } });
    expect(new SipHeaders([['Route', '<sip:p1;lr>, <sip:p2;lr>'], ['route', '<sip:p3>']]).getAll('Route')).toEqual(['<sip:p1;lr>', '<sip:p2;lr>', '<sip:p3>']);
  });
});
