import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDialogInfo } from '../../connectors/sip-core/dialog-info.ts';
import { partsOfType } from '../../connectors/sip-core/multipart.ts';
import { parsePidf } from '../../connectors/sip-core/pidf.ts';
import { parseXml, XmlError } from '../../connectors/sip-core/xml.ts';
import { parseIncoming } from '../../connectors/avaya-aes/messages.ts';
import { XmlError as DmccXmlError } from '../../connectors/avaya-aes/xml.ts';
import { sipDialogManifest } from '../../connectors/sip-dialog/manifest.ts';
import { sipDialogConfigSchema } from '../../connectors/sip-dialog/config.ts';
import { sipPresenceManifest } from '../../connectors/sip-presence/manifest.ts';
import { sipPresenceConfigSchema } from '../../connectors/sip-presence/config.ts';
import { simulatedServerAndPhone } from '../../connectors/sip-presence/test-support.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { connectorHarness } from '../support/connector-harness.ts';
import { until } from '../support/wait.ts';

/**
 * XML from any system: document type declarations, external entities (XXE) and entity expansion
 * (billion laughs) are refused with a clear error, nothing is fetched or read, and the connector
 * that received the document keeps running.
 */
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * Every module under connectors/ and core/ that calls an XML parser: the one hardened configuration
 * (core/util/xml-text.ts), which the SIP and DMCC readers tested below (connectors/sip-core/xml.ts,
 * connectors/avaya-aes/xml.ts) go through. A new one must be added here, and so tested below.
 */
const XML_PARSERS = ['core/util/xml-text.ts'];

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    if (n === 'node_modules' || n === 'fixtures') return [];
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') && !p.endsWith('.test.ts') ? [p] : [];
  });
}

let dtdServer: Server;
let dtdUrl: string;
const dtdRequests: string[] = [];
beforeAll(async () => {
  // Where an external DTD or entity would be fetched from: it must never be asked.
  dtdServer = createServer((req, res) => {
    dtdRequests.push(req.url ?? '');
    res.writeHead(200, { 'content-type': 'application/xml-dtd' }).end('<!ENTITY % all "<!ENTITY send SYSTEM \'http://127.0.0.1/leak\'>">%all;');
  });
  await new Promise<void>((r) => dtdServer.listen(0, '127.0.0.1', r));
  dtdUrl = `http://127.0.0.1:${(dtdServer.address() as AddressInfo).port}/evil.dtd`;
});
afterAll(() => new Promise<void>((r) => dtdServer.close(() => r())));

const LAUGHS = [
  '<?xml version="1.0"?>',
  '<!DOCTYPE lolz [',
  ' <!ENTITY lol "lol">',
  ...Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`),
  ']>',
].join('\n');

/** Hostile documents, each wrapped around a root of the kind the parser expects. */
function attacks(root: (inner: string) => string): [string, string][] {
  return [
    ['an external entity reading /etc/passwd (XXE)', `<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n${root('&xxe;')}`],
    ['an external entity over HTTP', `<!DOCTYPE r [<!ENTITY xxe SYSTEM "${dtdUrl}?entity">]>${root('&xxe;')}`],
    ['an external DTD', `<!DOCTYPE r SYSTEM "${dtdUrl}">${root('x')}`],
    ['a public external DTD', `<!DOCTYPE r PUBLIC "-//X//Y" "${dtdUrl}?public">${root('x')}`],
    ['a parameter entity (blind XXE)', `<!DOCTYPE r [<!ENTITY % dtd SYSTEM "${dtdUrl}?param"> %dtd; %all;]>${root('&send;')}`],
    ['billion laughs', `${LAUGHS}\n${root('&lol9;')}`],
    ['quadratic blowup', `<!DOCTYPE r [<!ENTITY a "${'x'.repeat(50_000)}">]>${root('&a;'.repeat(2000))}`],
    ['a lower-case doctype', `<!doctype r>${root('x')}`],
    ['a doctype after whitespace and a comment', `  \n<!-- hi -->\n<!DOCTYPE r [<!ENTITY x "y">]>${root('&x;')}`],
    ['an entity declaration without a doctype', `${root('<!ENTITY x SYSTEM "file:///etc/passwd">&x;')}`],
  ];
}

const PIDF = (inner: string): string => `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@example.com"><tuple id="t"><status><basic>open</basic></status><note>${inner}</note></tuple></presence>`;
const DIALOG = (inner: string): string => `<dialog-info xmlns="urn:ietf:params:xml:ns:dialog-info" version="1" state="full" entity="sip:100@example.com"><dialog id="${inner}"><state>confirmed</state></dialog></dialog-info>`;
const multipart = (pidf: string): { body: string; type: string } => ({
  body: ['--b1', 'Content-Type: application/pidf+xml', '', pidf, '--b1--', ''].join('\r\n'),
  type: 'multipart/related;type="application/pidf+xml";boundary=b1',
});

describe('every XML parser is listed', () => {
  it('finds no XML parsing outside the listed modules', () => {
    const found = [...sources(join(ROOT, 'connectors')), ...sources(join(ROOT, 'core'))]
      .filter((f) => /from ['"](fast-xml-parser|sax|saxes|xml2js|libxmljs2?|@xmldom\/xmldom|xmldom|xml-js|txml|htmlparser2)['"]|new DOMParser\(/.test(readFileSync(f, 'utf8')))
      .map((f) => relative(ROOT, f));
    expect(found.sort()).toEqual(XML_PARSERS);
  });
});

/** A hostile document is refused with the reader's own error, saying why, and yields nothing. */
function expectRefused(parse: (xml: string) => unknown, xml: string, error: abstract new (...args: never[]) => Error): void {
  let err: unknown;
  let out: unknown;
  try {
    out = parse(xml);
  } catch (e) {
    err = e;
  }
  expect(out, 'parsed a hostile document').toBeUndefined();
  expect(err).toBeInstanceOf(error);
  expect((err as Error).message).toMatch(/document type declaration is refused|malformed XML/);
}

describe.each([
  ['parseXml', (x: string) => parseXml(x), PIDF],
  ['PIDF / RPID (RFC 3863, RFC 4480)', (x: string) => parsePidf(x), PIDF],
  ['dialog-info (RFC 4235)', (x: string) => parseDialogInfo(x), DIALOG],
  ['PIDF inside multipart/related (RFC 4662)', (x: string) => partsOfType(multipart(x).body, multipart(x).type, 'application/pidf+xml').map((p) => parsePidf(p.body)), PIDF],
] as const)('%s', (_name, parse, root) => {
  it.each(attacks(root))('refuses %s with a clear error', (_n, xml) => expectRefused(parse, xml, XmlError));

  it('still parses the same document without the attack', () => {
    expect(() => parse(root('plain'))).not.toThrow();
  });
});

const DMCC = (inner: string): string => `<HeldEvent><monitorCrossRefID>1</monitorCrossRefID><heldConnection><callID>${inner}</callID></heldConnection></HeldEvent>`;
describe('DMCC XML (avaya-aes, ECMA-323 over TCP)', () => {
  it.each(attacks(DMCC))('refuses %s with a clear error', (_n, xml) => expectRefused(parseIncoming, xml, DmccXmlError));

  it('still parses the same document without the attack', () => {
    expect(parseIncoming(DMCC('plain'))).toMatchObject({ kind: 'event', event: { type: 'HeldEvent', connection: { callId: 'plain' } } });
  });
});

describe('nothing was fetched', () => {
  it('no parser asked for an external DTD or entity', () => {
    expect(dtdRequests).toEqual([]);
  });
});

describe('the SIP connectors receive hostile XML in a NOTIFY and keep running', () => {
  const log = silentLogger();
  const sim = simulatedServerAndPhone(log);

  it('sip-presence: XXE and billion laughs refused with one clear log line each, the next state is taken', async () => {
    const lines: string[] = [];
    const aor = 'sip:alice@example.com';
    const config = sipPresenceConfigSchema.parse({ server: sim.server.uri(), presentities: [aor], retry: { base: '50ms', max: '200ms' }, t1: '50ms' });
    const h = connectorHarness({ id: 'sip1', config, people: [{ id: 'alice', name: 'Alice', identities: [aor] }], log: pino({ level: 'warn' }, { write: (s: string) => lines.push(s) }) });
    const sup = h.supervisor(sipPresenceManifest);
    await sup.start();
    try {
      await until(() => sim.server.subscribersOf(aor, 'presence') === 1);
      for (const [name, xml] of attacks(PIDF).filter(([n]) => /XXE|billion/.test(n))) {
        const before = lines.length;
        sim.server.setState(aor, 'presence', xml);
        await until(() => lines.slice(before).some((l) => l.includes('NOTIFY body refused')));
        expect(lines.slice(before).join('\n'), name).toMatch(/document type declaration is refused/);
      }
      sim.server.setState(aor, 'presence', undefined);
      await sim.phone.presence(aor, 'open', ['vacation']);
      await until(() => h.signals.some((s) => s.person === 'alice' && s.availability === 'away'));
      expect(sup.health().state).toBe('running');
      expect(JSON.stringify(h.signals)).not.toMatch(/root:|lol|xxe/);
      expect(dtdRequests).toEqual([]);
    } finally {
      await sup.stop();
    }
  });

  it('sip-dialog: the same for dialog-info', async () => {
    const line = 'sip:100@example.com';
    const config = sipDialogConfigSchema.parse({ server: sim.server.uri(), lines: [{ uri: line, identity: 'tel:+15550100', endpoint: 'desk-100' }], retry: { base: '50ms', max: '200ms' }, t1: '50ms' });
    const h = connectorHarness({ id: 'blf', config, people: [{ id: 'alice', name: 'Alice', identities: ['tel:+15550100'] }] });
    const sup = h.supervisor(sipDialogManifest);
    await sup.start();
    try {
      await until(() => sim.server.subscribersOf(line, 'dialog') === 1);
      await h.waitForSignals(1);
      for (const [, xml] of attacks(DIALOG).filter(([n]) => /XXE|billion/.test(n))) {
        sim.server.setState(line, 'dialog', xml);
        await new Promise((r) => setTimeout(r, 100));
      }
      sim.server.setState(line, 'dialog', undefined);
      await sim.phone.dialogs(line, [{ id: 'd1', state: 'confirmed', direction: 'initiator', remoteIdentity: 'sip:200@example.com' }]);
      await until(() => h.signals.some((s) => s.availability === 'busy'));
      expect(sup.health().state).toBe('running');
      expect(JSON.stringify(h.signals)).not.toMatch(/root:|lol|xxe/);
      expect(h.refused).toEqual([]);
    } finally {
      await sup.stop();
    }
  });
});
