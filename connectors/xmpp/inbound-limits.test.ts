/**
 * Bad input from the server, on a live connection: a loopback XEP-0114 server (Prosody never sends
 * such things, so this one is scripted) sends a malformed presence, then an oversized stanza, then
 * a DTD. The connector refuses each with a clear reason, stores nothing of it, shows it in its
 * health, and keeps running (reconnecting after the stream errors it sends). And stream errors
 * from the server: see-other-host, at start and while running, and a loop of them.
 */
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import type { XmppConfig } from './config.ts';
import { xmppManifest } from './manifest.ts';
import { scriptedClientServer, scriptedServer, type Scripted } from './scripted-server.ts';
import { until } from '../../test/support/wait.ts';

const DOMAIN = 'presence.corp.example';
const SECRET = 'scripted-secret-0001';

let open: { stop(): Promise<unknown> }[] = [];
let server: Scripted | undefined;
afterEach(async () => {
  for (const o of open.splice(0)) await o.stop().catch(() => undefined);
  await server?.close();
  server = undefined;
  open = [];
});

/** The connector collecting via the component from the scripted server on `port`. */
function configFor(port: number): XmppConfig {
  return xmppManifest.configSchema.parse({
    maxStanzaBytes: 4096,
    reconnect: { base: '50ms', max: '200ms' },
    collect: { via: 'component', settle: '5s' },
    component: { service: `xmpp://127.0.0.1:${port}`, domain: DOMAIN, secret: SECRET, publish: false },
  });
}

async function running() {
  server = await scriptedServer({ domain: DOMAIN, secret: SECRET });
  const h = connectorHarness<XmppConfig>({ id: 'xmpp', config: configFor(server.port), people: [{ id: 'bob', identities: ['xmpp:bob@corp.example'] }] });
  const sup = h.supervisor(xmppManifest);
  open.push(sup);
  await sup.start();
  await until('running', () => sup.health().state === 'running');
  const last = (): Socket => server!.sockets[server!.sockets.length - 1]!;
  const presence = (body: string): void => void last().write(`<presence from='bob@corp.example/laptop' to='${DOMAIN}'>${body}</presence>`);
  return { h, sup, last, presence };
}

describe('inbound XML from a live server', () => {
  it('a malformed presence is refused and counted; the next good one is read', async () => {
    const { h, sup, presence } = await running();
    presence('<show>busy</show>');
    presence('<show>dnd</show><status>Focus</status>');
    await until('the good presence', () => h.signals.length > 0);
    expect(h.signals).toEqual([expect.objectContaining({ person: 'bob', availability: 9500, activity: { text: 'Focus' } })]);
    expect(sup.health().counts.xmpp_presence_refused).toBe(1);
    expect(sup.health().state).toBe('running');
  });

  it.each([
    ['an oversized stanza', 'policy-violation', (s: Socket) => s.write(`<presence from='bob@corp.example/laptop' to='${DOMAIN}'><status>${'x'.repeat(20_000)}</status></presence>`)],
    ['a DTD with an entity', 'restricted-xml', (s: Socket) => s.write(`<!DOCTYPE x [<!ENTITY big "${'y'.repeat(100)}">]><presence from='bob@corp.example/laptop' to='${DOMAIN}'><status>&big;</status></presence>`)],
  ] as const)('%s ends the stream with %s, nothing stored, health shows it, and the connector reconnects', async (_name, condition, send) => {
    const { h, sup, last, presence } = await running();
    const first = last();
    send(first);
    await until('the stream error sent', () => server!.received[0]!.includes(condition));
    await until('degraded with the reason', () => sup.health().lastError?.code === 'HUB_ERR_XMPP_INPUT');
    expect(h.signals).toEqual([]);
    await until('a new connection', () => server!.sockets.length >= 2 && sup.health().state === 'running');
    presence('<show>away</show>');
    await until('read after the reconnect', () => h.signals.some((s) => s.availability === 12500));
    expect(h.signals.every((s) => s.activity === undefined)).toBe(true);
  });
});

describe('stream errors from the server (RFC 6120 section 4.9)', () => {
  it('see-other-host: the component connects to the server named, and its presence is read there', async () => {
    const other = await scriptedServer({ domain: DOMAIN, secret: SECRET });
    open.push({ stop: () => other.close() });
    server = await scriptedServer({ domain: DOMAIN, secret: SECRET, seeOtherHost: `127.0.0.1:${other.port}` });
    const h = connectorHarness<XmppConfig>({ id: 'xmpp', config: configFor(server.port), people: [{ id: 'bob', identities: ['xmpp:bob@corp.example'] }] });
    const sup = h.supervisor(xmppManifest);
    open.unshift(sup);
    await sup.start();
    await until('running', () => sup.health().state === 'running');
    await until('the handshake on the other server', () => other.received.some((r) => r.includes('<!--answered-->')));
    other.sockets.at(-1)!.write(`<presence from='bob@corp.example/laptop' to='${DOMAIN}'><show>dnd</show></presence>`);
    await until('read from the other server', () => h.signals.some((s) => s.person === 'bob' && s.availability === 9500));
    expect(server.sockets.length).toBe(1);
    expect(sup.health().recent.filter((r) => !r.ok)).toEqual([]);
  });

  it('see-other-host on a running stream: the link moves to the server named at once, not counted as a failure', async () => {
    const { h, sup, last } = await running();
    const other = await scriptedServer({ domain: DOMAIN, secret: SECRET });
    open.push({ stop: () => other.close() });
    last().end(`<stream:error><see-other-host xmlns='urn:ietf:params:xml:ns:xmpp-streams'>127.0.0.1:${other.port}</see-other-host></stream:error></stream:stream>`);
    await until('the handshake on the other server', () => other.received.some((r) => r.includes('<!--answered-->')));
    await until('online there', () => sup.health().state === 'running');
    other.sockets.at(-1)!.write(`<presence from='bob@corp.example/laptop' to='${DOMAIN}'><show>away</show></presence>`);
    await until('read from the other server', () => h.signals.some((s) => s.person === 'bob' && s.availability === 12500));
    expect(sup.health().recent.filter((r) => !r.ok)).toEqual([]);
  });

  it('a server that keeps redirecting: given up after a few redirects, with a clear error', async () => {
    // Two servers that send every connection to each other.
    let self: Scripted | undefined;
    server = await scriptedServer({ domain: DOMAIN, secret: SECRET, seeOtherHost: () => `127.0.0.1:${self!.port}` });
    self = await scriptedServer({ domain: DOMAIN, secret: SECRET, seeOtherHost: `127.0.0.1:${server.port}` });
    open.push({ stop: () => self.close() });
    const h = connectorHarness<XmppConfig>({ id: 'xmpp', config: configFor(self.port), people: [] });
    const c = xmppManifest.create(h.ctx);
    open.unshift(c);
    await expect(c.start()).rejects.toMatchObject({ code: 'HUB_ERR_XMPP_UNREACHABLE', message: expect.stringMatching(/redirected the connection more than \d+ times/) });
  });
});

describe('the service account redirected (RFC 6120 section 4.9.3.19)', () => {
  it('see-other-host before the features: it logs in at the server named and is online there', async () => {
    const other = await scriptedClientServer({ domain: 'corp.example', password: 'pw-0001' });
    open.push({ stop: () => other.close() });
    const first = await scriptedClientServer({ domain: 'corp.example', password: 'pw-0001', seeOtherHost: `127.0.0.1:${other.port}` });
    open.push({ stop: () => first.close() });
    const config = xmppManifest.configSchema.parse({ service: `xmpp://127.0.0.1:${first.port}`, jid: 'presence-hub@corp.example', password: 'pw-0001', reconnect: { base: '50ms', max: '200ms' }, collect: { settle: '1s' } });
    const h = connectorHarness<XmppConfig>({ id: 'xmpp', config, people: [] });
    const sup = h.supervisor(xmppManifest);
    open.unshift(sup);
    await sup.start();
    await until('running', () => sup.health().state === 'running');
    await until('bound at the other server', () => other.received.some((r) => r.includes('urn:ietf:params:xml:ns:xmpp-bind')));
    expect(first.sockets).toHaveLength(1);
    expect(sup.health().recent.filter((r) => !r.ok)).toEqual([]);
  });
});

describe('roster pushes to the service account (RFC 6121 section 2.1.6)', () => {
  it('are answered with a result; one from anyone but the account itself is refused', async () => {
    const srv = await scriptedClientServer({ domain: 'corp.example', password: 'pw-0001' });
    open.push({ stop: () => srv.close() });
    const config = xmppManifest.configSchema.parse({ service: `xmpp://127.0.0.1:${srv.port}`, jid: 'presence-hub@corp.example', password: 'pw-0001', reconnect: { base: '50ms', max: '200ms' }, collect: { settle: '1s' } });
    const h = connectorHarness<XmppConfig>({ id: 'xmpp', config, people: [{ id: 'bob', identities: ['xmpp:bob@corp.example'] }] });
    const sup = h.supervisor(xmppManifest);
    open.unshift(sup);
    await sup.start();
    await until('running', () => sup.health().state === 'running');
    srv.send("<iq type='set' id='push1'><query xmlns='jabber:iq:roster'><item jid='bob@corp.example' subscription='to'/></query></iq>");
    srv.send("<iq type='set' id='push2' from='presence-hub@corp.example'><query xmlns='jabber:iq:roster'><item jid='bob@corp.example' subscription='both'/></query></iq>");
    srv.send("<iq type='set' id='push3' from='mallory@evil.example'><query xmlns='jabber:iq:roster'><item jid='mallory@evil.example' subscription='both'/></query></iq>");
    await until('three answers', () => srv.answers.length >= 3);
    expect(srv.answers).toEqual([
      { type: 'result', id: 'push1' },
      { type: 'result', id: 'push2' },
      { type: 'error', id: 'push3' },
    ]);
    expect(sup.health().state).toBe('running');
  });
});

describe('the next retry health shows is the one the reconnect settings make', () => {
  const slow = (port: number): XmppConfig => ({ ...configFor(port), reconnect: { base: 10_000, max: 40_000 } });

  it('a failed start: retried after reconnect.base (between half and all of it), not the supervisor default', async () => {
    const srv = await scriptedServer({ domain: DOMAIN, secret: SECRET });
    const port = srv.port;
    await srv.close(); // nothing listens there now
    const h = connectorHarness<XmppConfig>({ id: 'xmpp', config: slow(port) });
    const sup = h.supervisor(xmppManifest);
    open.push(sup);
    const t = Date.now();
    await sup.start();
    const { state, nextRetryAt } = sup.health();
    expect(state).toBe('degraded');
    expect(nextRetryAt! - t).toBeGreaterThanOrEqual(5000);
    expect(nextRetryAt! - Date.now()).toBeLessThanOrEqual(10_000);
  });

  it('a link lost while running: the connector reconnects after reconnect.base, and health shows when', async () => {
    server = await scriptedServer({ domain: DOMAIN, secret: SECRET });
    const h = connectorHarness<XmppConfig>({ id: 'xmpp', config: slow(server.port) });
    const sup = h.supervisor(xmppManifest);
    open.push(sup);
    await sup.start();
    await until('running', () => sup.health().state === 'running');
    expect(sup.health().nextRetryAt).toBeUndefined();
    const t = Date.now();
    await server.close();
    server = undefined;
    await until('degraded with a next retry', () => sup.health().state === 'degraded' && sup.health().nextRetryAt !== undefined);
    expect(sup.health().nextRetryAt! - t).toBeGreaterThanOrEqual(5000);
    expect(sup.health().nextRetryAt! - Date.now()).toBeLessThanOrEqual(10_000);
  });
});
