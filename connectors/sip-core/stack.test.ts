import dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/util/logger.ts';
import { buildPidf, parsePidf } from './pidf.ts';
import { Publication } from './publication.ts';
import { serialize } from './serializer.ts';
import { SimPresenceServer } from './simulator.ts';
import { Subscription, SubscriptionSet, type Notification } from './subscription.ts';
import { UserAgent } from './ua.ts';
import { SipHeaders } from './message.ts';
import type { Protocol } from './transport.ts';
import { until } from '../../test/support/wait.ts';

const log = silentLogger();
describe.each<Protocol>(['udp', 'tcp'])('SIP stack over %s against the simulator', (protocol) => {
  let server: SimPresenceServer;
  let ua: UserAgent;
  const set = new SubscriptionSet();
  beforeAll(async () => {
    server = await SimPresenceServer.start({ log });
    ua = await UserAgent.create({ host: '127.0.0.1', protocols: [protocol], log });
    ua.onRequest((req, _peer, respond) => {
      if (req.method !== 'NOTIFY' || !set.route(req, respond)) respond(481, 'Subscription Does Not Exist');
    });
  });
  afterAll(async () => {
    await ua.close();
    await server.close();
  });

  it('publishes, subscribes, receives NOTIFYs, handles termination with re-subscription, and unsubscribes', async () => {
    const aor = `sip:alice-${protocol}@example.com`;
    const proxy = server.uri(protocol);
    const pub = new Publication({ ua, aor, from: aor, event: 'presence', contentType: 'application/pidf+xml', expires: 600, protocol, proxy, log });
    await pub.publish(buildPidf({ entity: aor, tupleId: 't1', personId: 'p1', basic: 'open', activities: ['on-the-phone'] }));
    expect(pub.currentEtag).toBeDefined();

    const got: Notification[] = [];
    const downs: string[] = [];
    const sub = new Subscription({ ua, target: aor, from: 'sip:hub@example.com', event: 'presence', accept: ['application/pidf+xml'], expires: 600, protocol, proxy, log, backoff: { baseMs: 20, maxMs: 50 }, onNotify: (n) => got.push(n), onDown: (r) => downs.push(r) }, set);
    sub.start();
    await until(() => got.length >= 1);
    expect(parsePidf(got[0]!.body.toString()).persons[0]!.activities).toEqual(['on-the-phone']);

    // Modify: the watcher sees the new state.
    await pub.publish(buildPidf({ entity: aor, tupleId: 't1', personId: 'p1', basic: 'open', activities: ['meeting'] }));
    await until(() => got.some((n) => n.body.toString().includes('meeting')));

    // The server forgets the ETag: 412, and the publication is made afresh.
    server.pubs.clear();
    await pub.publish(buildPidf({ entity: aor, tupleId: 't1', personId: 'p1', basic: 'open', activities: ['away'] }));
    expect(server.received.filter((r) => r.method === 'PUBLISH').length).toBeGreaterThanOrEqual(4);
    await until(() => got.some((n) => n.body.toString().includes('rpid:away')));

    // Terminated: the subscription is reported down and re-created.
    const before = got.length;
    await server.terminate(aor, 'deactivated');
    await until(() => downs.length === 1 && got.length >= before + 2 && sub.active);
    expect(server.subscribersOf(aor, 'presence')).toBe(1);

    // A notifier restart (CSeq back to 1) is accepted and flagged.
    server.restartCounters();
    server.setState(aor, 'presence', buildPidf({ entity: aor, tupleId: 'x', personId: 'px', basic: 'closed', activities: [] }));
    await until(() => got.some((n) => n.restarted));

    await sub.stop();
    await until(() => server.subscribersOf(aor, 'presence') === 0);
    await pub.remove();
  });
});

describe('Subscription-State reasons are tokens, compared without regard to case (RFC 3261 section 7.3.1, RFC 6665 section 4.1.3)', () => {
  let server: SimPresenceServer;
  let ua: UserAgent;
  const set = new SubscriptionSet();
  beforeAll(async () => {
    server = await SimPresenceServer.start({ log });
    ua = await UserAgent.create({ host: '127.0.0.1', protocols: ['udp'], log });
    ua.onRequest((req, _peer, respond) => {
      if (req.method !== 'NOTIFY' || !set.route(req, respond)) respond(481, 'Subscription Does Not Exist');
    });
  });
  afterAll(async () => {
    await ua.close();
    await server.close();
  });

  it('"Deactivated" re-subscribes at once, "NoResource" ends the subscription for good', async () => {
    const aor = 'sip:case@example.com';
    const downs: { reason: string; ended: boolean }[] = [];
    // A backoff far longer than the test: only an immediate re-subscription can bring it back.
    const sub = new Subscription({ ua, target: aor, from: 'sip:hub@example.com', event: 'presence', accept: ['application/pidf+xml'], expires: 600, protocol: 'udp', proxy: server.uri('udp'), log, backoff: { baseMs: 600_000, maxMs: 600_000 }, onNotify: () => undefined, onDown: (reason, _p, ended) => downs.push({ reason, ended: ended === true }) }, set);
    sub.start();
    try {
      await until(() => sub.active && server.subscribersOf(aor, 'presence') === 1);
      await server.terminate(aor, 'Deactivated');
      await until(() => downs.length === 1 && sub.active && server.subscribersOf(aor, 'presence') === 1);
      expect(downs[0]).toEqual({ reason: 'terminated (deactivated)', ended: false });
      await server.terminate(aor, 'NoResource');
      await until(() => downs.length === 2);
      expect(downs[1]!.ended).toBe(true);
      expect(downs[1]!.reason).toMatch(/noresource/);
    } finally {
      await sub.stop();
    }
  });
});

describe('UDP retransmission and bad input', () => {
  it('retransmits a request until a response arrives (Timer E) and logs refused datagrams', async () => {
    const lines: string[] = [];
    const { pino } = await import('pino');
    const capture = pino({ level: 'warn' }, { write: (s: string) => lines.push(s) });
    const ua = await UserAgent.create({ host: '127.0.0.1', protocols: ['udp'], log: capture, timers: { t1: 50, t2: 200, t4: 250 } });
    const peer = dgram.createSocket('udp4');
    await new Promise<void>((r) => peer.bind(0, '127.0.0.1', () => r()));
    const port = (peer.address() as { port: number }).port;
    let seen = 0;
    peer.on('message', (buf, rinfo) => {
      seen++;
      if (seen < 3) return; // drop the first two copies
      const text = buf.toString();
      const via = /Via: (.*)\r\n/.exec(text)![1]!;
      const resp = `SIP/2.0 200 OK\r\nVia: ${via}\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: r1\r\nCSeq: 1 PUBLISH\r\nSIP-ETag: e\r\nContent-Length: 0\r\n\r\n`;
      peer.send(resp, rinfo.port, rinfo.address);
    });
    const h = new SipHeaders([['From', '<sip:a@b>;tag=1'], ['To', '<sip:c@d>'], ['Call-ID', 'r1'], ['CSeq', '1 PUBLISH'], ['Event', 'presence'], ['Expires', '60']]);
    const res = await ua.request({ kind: 'request', method: 'PUBLISH', uri: 'sip:c@d', headers: h, body: Buffer.from('x') }, { protocol: 'udp', host: '127.0.0.1', port });
    expect(res.status).toBe(200);
    expect(seen).toBe(3);
    // Garbage to the UA: one clear log line, and the UA still answers.
    const local = ua.local('udp');
    peer.send('NOT SIP AT ALL\r\n\r\n', local.port, local.host);
    await until(() => lines.some((l) => l.includes('SIP message refused')));
    expect(lines.find((l) => l.includes('SIP message refused'))).toMatch(/invalid start line/);
    const resp2 = new Promise<string>((r) => peer.once('message', (b) => r(b.toString())));
    peer.send(serialize({ kind: 'request', method: 'OPTIONS', uri: 'sip:x@y', headers: new SipHeaders([['Via', 'SIP/2.0/UDP 127.0.0.1:1;branch=z9hG4bKo'], ['From', '<sip:a@b>;tag=1'], ['To', '<sip:x@y>'], ['Call-ID', 'o1'], ['CSeq', '1 OPTIONS']]), body: Buffer.alloc(0) }), local.port, local.host);
    expect(await resp2).toMatch(/^SIP\/2\.0 481/);
    peer.close();
    await ua.close();
  });

  it('answers a digest challenge (401, qop=auth)', async () => {
    const server = await SimPresenceServer.start({ log, auth: { realm: 'sim', users: { hub: 'pw' } } });
    const ua = await UserAgent.create({ host: '127.0.0.1', protocols: ['udp'], log });
    const aor = 'sip:bob@example.com';
    const mk = (credentials?: { username: string; password: string }): Publication =>
      new Publication({ ua, aor, from: aor, event: 'presence', contentType: 'application/pidf+xml', expires: 60, protocol: 'udp', proxy: server.uri(), log, ...(credentials ? { credentials } : {}) });
    await expect(mk().publish('<presence entity="sip:bob@example.com"/>')).rejects.toThrow(/401/);
    await expect(mk({ username: 'hub', password: 'wrong' }).publish('<presence entity="sip:bob@example.com"/>')).rejects.toThrow(/401/);
    const ok = mk({ username: 'hub', password: 'pw' });
    await ok.publish('<presence entity="sip:bob@example.com"/>');
    expect(ok.currentEtag).toBeDefined();
    ok.close();
    await ua.close();
    await server.close();
  });
});

describe('refresh before expiry', () => {
  it('re-SUBSCRIBEs in the dialog and refreshes a publication with SIP-If-Match and no body', async () => {
    const server = await SimPresenceServer.start({ log, maxExpires: 2 });
    const ua = await UserAgent.create({ host: '127.0.0.1', protocols: ['udp'], log });
    const set = new SubscriptionSet();
    ua.onRequest((req, _p, respond) => {
      if (!set.route(req, respond)) respond(481, 'Subscription Does Not Exist');
    });
    const aor = 'sip:carol@example.com';
    const pub = new Publication({ ua, aor, from: aor, event: 'presence', contentType: 'application/pidf+xml', expires: 600, protocol: 'udp', proxy: server.uri(), log });
    await pub.publish(buildPidf({ entity: aor, tupleId: 't', personId: 'p', basic: 'open', activities: [] }));
    const sub = new Subscription({ ua, target: aor, from: 'sip:hub@example.com', event: 'presence', accept: ['application/pidf+xml'], expires: 600, protocol: 'udp', proxy: server.uri(), log, onNotify: () => undefined, onDown: () => undefined }, set);
    sub.start();
    await until(() => server.received.filter((r) => r.method === 'SUBSCRIBE').length >= 2, 4000);
    const subs = server.received.filter((r) => r.method === 'SUBSCRIBE');
    expect(new Set(subs.map((r) => r.headers.get('Call-ID'))).size).toBe(1);
    expect(subs[1]!.headers.get('To')).toMatch(/;tag=/);
    await until(() => server.received.filter((r) => r.method === 'PUBLISH').length >= 2, 4000);
    const refresh = server.received.filter((r) => r.method === 'PUBLISH')[1]!;
    expect(refresh.headers.get('SIP-If-Match')).toBeDefined();
    expect(refresh.body.length).toBe(0);
    await sub.stop();
    pub.close();
    await ua.close();
    await server.close();
  });
});
