/**
 * Bad input from the server, on a live connection: a loopback XEP-0114 server (Prosody never sends
 * such things, so this one is scripted) sends a malformed presence, then an oversized stanza, then
 * a DTD. The connector refuses each with a clear reason, stores nothing of it, shows it in its
 * health, and keeps running (reconnecting after the stream errors it sends).
 */
import { createHash } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import type { XmppConfig } from './config.ts';
import { xmppManifest } from './manifest.ts';
import { until } from '../../test/support/wait.ts';

const DOMAIN = 'presence.corp.example';
const SECRET = 'scripted-secret-0001';

interface Scripted {
  server: Server;
  port: number;
  /** Everything the hub sent, per connection. */
  received: string[];
  sockets: Socket[];
}

/** Accepts the component (XEP-0114 section 3: stream header with an id, handshake = sha1(id + secret)). */
async function scriptedServer(): Promise<Scripted> {
  const s: Scripted = { server: createServer(), port: 0, received: [], sockets: [] };
  s.server.on('connection', (sock) => {
    const i = s.received.push('') - 1;
    s.sockets.push(sock);
    const id = `s${i}`;
    sock.on('data', (d) => {
      s.received[i] += d.toString();
      const text = s.received[i]!;
      if (text.includes('<stream:stream') && !text.includes('<handshake')) {
        if (!text.includes(`id='${id}'`)) sock.write(`<?xml version='1.0'?><stream:stream xmlns='jabber:component:accept' xmlns:stream='http://etherx.jabber.org/streams' id='${id}' from='${DOMAIN}'>`);
      }
      const hs = /<handshake>([0-9a-f]+)<\/handshake>/.exec(text);
      if (hs !== null && !text.includes('<!--answered-->')) {
        s.received[i] += '<!--answered-->';
        const ok = hs[1] === createHash('sha1').update(id + SECRET).digest('hex');
        sock.write(ok ? '<handshake/>' : '<stream:error><not-authorized xmlns="urn:ietf:params:xml:ns:xmpp-streams"/></stream:error>');
      }
      // RFC 6120 section 4.4: a peer that receives the closing tag sends its own and closes the connection.
      if (text.includes('</stream:stream>') && !sock.writableEnded) sock.end('</stream:stream>');
    });
    sock.on('error', () => undefined);
  });
  await new Promise<void>((r) => s.server.listen(0, '127.0.0.1', r));
  s.port = (s.server.address() as { port: number }).port;
  return s;
}

let open: { stop(): Promise<unknown> }[] = [];
let server: Scripted | undefined;
afterEach(async () => {
  for (const o of open.splice(0)) await o.stop().catch(() => undefined);
  for (const sock of server?.sockets ?? []) sock.destroy();
  await new Promise((r) => server?.server.close(r));
  server = undefined;
  open = [];
});

async function running() {
  server = await scriptedServer();
  const config = xmppManifest.configSchema.parse({
    maxStanzaBytes: 4096,
    reconnect: { base: '50ms', max: '200ms' },
    collect: { via: 'component', settle: '5s' },
    component: { service: `xmpp://127.0.0.1:${server.port}`, domain: DOMAIN, secret: SECRET, publish: false },
  });
  const h = connectorHarness<XmppConfig>({ id: 'xmpp', config, people: [{ id: 'bob', identities: ['xmpp:bob@corp.example'] }] });
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
