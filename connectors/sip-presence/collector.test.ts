import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { silentLogger } from '../../core/util/logger.ts';
import { UserAgent } from '../sip-core/ua.ts';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import { sipPresenceConfigSchema } from './config.ts';
import { sipPresenceManifest } from './manifest.ts';
import { SimPresenceServer } from './simulator.ts';
import { simulatedServerAndPhone } from './test-support.ts';
import type { Presence } from '../../core/model/presence.ts';
import type { Signal } from '../../core/model/signal.ts';
import { SipSession } from '../sip-core/session.ts';
import { SipPresenceCollector } from './collector.ts';
import { LoopGuard } from './loop-guard.ts';
import { until } from '../../test/support/wait.ts';

const log = silentLogger();
const people = [
  { id: 'alice', name: 'Alice', identities: ['sip:alice@example.com'] },
  { id: 'bob', name: 'Bob', identities: ['sip:bob@example.com'] },
];

describe('sip-presence against the simulator (udp)', () => {
  const sim = simulatedServerAndPhone(log);

  it('watches, maps, lapses on termination, re-subscribes, publishes with the loop guard, and survives a malformed NOTIFY', async () => {
    const lines: string[] = [];
    const config = sipPresenceConfigSchema.parse({ server: sim.server.uri(), presentities: ['sip:alice@example.com'], watchDirectory: true, retry: { base: '50ms', max: '200ms' }, t1: '50ms' });
    const h = connectorHarness({ id: 'sip1', config, people, log: pino({ level: 'warn' }, { write: (s: string) => lines.push(s) }) });
    const sup = h.supervisor(sipPresenceManifest);
    await sup.start();
    await until(() => sim.server.subscribersOf('sip:alice@example.com', 'presence') === 1 && sim.server.subscribersOf('sip:bob@example.com', 'presence') === 1);

    // The phone publishes: the hub sees Alice on the sim.phone.
    await sim.phone.presence('sip:alice@example.com', 'open', ['on-the-phone'], 'Call with Bob');
    await h.waitForSignals(1);
    expect(h.signals[0]).toMatchObject({ person: 'alice', identity: 'sip:alice@example.com', source: 'sip1', endpoint: 'sip-presence', category: 'user', availability: 'busy', activity: { token: 'on-the-phone', text: 'Call with Bob' } });

    // The server ends the subscription (deactivated: re-subscribe at once, RFC 6665 section 4.1.3):
    // the state lapses, then the subscription is re-created and the state returns.
    await sim.server.terminate('sip:alice@example.com', 'deactivated');
    await h.waitForSignals(3);
    expect(h.signals[1]).toMatchObject({ person: 'alice', until: expect.any(String) });
    expect(h.signals[2]).toMatchObject({ person: 'alice', availability: 'busy' });

    // The hub publishes Bob's merged presence; the NOTIFY that comes back is not a signal.
    const bob: Presence = { person: 'bob', availability: 6500, class: 'busy', activity: { token: 'in-a-meeting', text: 'Weekly sync' }, since: Date.now(), version: 3 };
    await h.publish([bob]);
    await until(() => [...sim.server.pubs.values()].some((p) => p.aor === 'sip:bob@example.com' && p.body.includes('rpid:meeting')));
    await h.publish([{ ...bob, version: 4 }]); // the same state: no second PUBLISH
    expect(sim.server.received.filter((r) => r.method === 'PUBLISH' && r.uri === 'sip:bob@example.com')).toHaveLength(1);
    await new Promise((r) => setTimeout(r, 200));
    expect(h.signals.filter((s) => s.person === 'bob')).toHaveLength(0);

    // Bob's own phone publishes too: only the phone's part counts.
    await sim.phone.presence('sip:bob@example.com', 'open', ['away']);
    await until(() => h.signals.some((s) => s.person === 'bob'));
    expect(h.signals.find((s) => s.person === 'bob')).toMatchObject({ availability: 'away' });

    // A malformed NOTIFY body: one clear log line, the connector keeps working.
    sim.server.setState('sip:alice@example.com', 'presence', '<presence entity="sip:alice@example.com"><tuple>');
    await until(() => lines.some((l) => l.includes('NOTIFY body refused')));
    expect(lines.find((l) => l.includes('NOTIFY body refused'))).toMatch(/malformed XML/);
    sim.server.setState('sip:alice@example.com', 'presence', undefined);
    await sim.phone.presence('sip:alice@example.com', 'open', ['vacation']);
    await until(() => h.signals.some((s) => s.person === 'alice' && s.availability === 'away'));

    expect(h.refused).toEqual([]);
    await sup.stop();
    await until(() => sim.server.subscribersOf('sip:alice@example.com', 'presence') === 0);
    // The hub's publication stays (until its Expires): the next start reconciles it.
    expect([...sim.server.pubs.values()].some((p) => p.aor === 'sip:bob@example.com' && p.body.includes('hub-t-'))).toBe(true);
  });

  it('reads PIDF as published, whatever its prefixes: several tuples and persons, activities it does not know; a NOTIFY of only white space says nothing is known', async () => {
    const dave = 'sip:dave@example.com';
    const config = sipPresenceConfigSchema.parse({ server: sim.server.uri(), presentities: [dave], retry: { base: '50ms', max: '200ms' }, t1: '50ms' });
    const h = connectorHarness({ id: 'sip-ns', config, people: [{ id: 'dave', name: 'Dave', identities: [dave] }] });
    const sup = h.supervisor(sipPresenceManifest);
    await sup.start();
    try {
      await until(() => sim.server.subscribersOf(dave, 'presence') === 1);
      // RFC 3863 / RFC 4479 / RFC 4480 namespaces under other prefixes than ours, an element of a foreign namespace.
      sim.server.setState(dave, 'presence', readFileSync(new URL('./fixtures/prefixed-several-tuples-persons.xml', import.meta.url), 'utf8'));
      await until(() => h.signals.some((s) => s.person === 'dave'));
      expect(h.signals.at(-1)).toMatchObject({ person: 'dave', availability: 'busy', activity: { token: 'in-a-meeting' } });
      // Content-Type and Content-Length, but only white space: no document, the state lapses (not a refused body).
      sim.server.setState(dave, 'presence', ' \r\n');
      await until(() => h.signals.at(-1)?.until !== undefined);
      expect(sup.health().recent.filter((r) => r.code === 'HUB_ERR_SIP_BODY')).toEqual([]);
      expect(h.refused).toEqual([]);
    } finally {
      await sup.stop();
      sim.server.setState(dave, 'presence', undefined);
    }
  });

  it('maps RFC 4480 user-input to the machine state through the real ingest: idle with its last input, active, gone', async () => {
    const config = sipPresenceConfigSchema.parse({ server: sim.server.uri(), presentities: ['sip:carol@example.com'], publish: { enabled: false }, t1: '50ms' });
    const h = connectorHarness({ id: 'ui', config, people: [{ id: 'carol', name: 'Carol', identities: ['sip:carol@example.com'] }], log });
    const sup = h.supervisor(sipPresenceManifest);
    await sup.start();
    try {
      await until(() => sim.server.subscribersOf('sip:carol@example.com', 'presence') === 1);
      const doc = (ui: string): string =>
        `<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:carol@example.com"><tuple id="pc-t"><status><basic>open</basic></status></tuple><dm:person id="pc-p">${ui}</dm:person></presence>`;
      sim.server.setState('sip:carol@example.com', 'presence', doc('<rpid:user-input idle-threshold="600" last-input="2026-11-22T09:41:00Z">idle</rpid:user-input>'));
      await until(() => h.queued.some((s) => s.category === 'machine'));
      expect(h.queued.find((s) => s.category === 'machine')).toMatchObject({ person: 'carol', source: 'ui', endpoint: 'sip-presence', category: 'machine', machineState: 'inactive', sourceTime: Date.parse('2026-11-22T09:41:00Z') });
      // The person state stays what the document says (open, no activity: available).
      expect(h.queued.find((s) => s.category === 'user')).toMatchObject({ person: 'carol', availability: 3500 });

      sim.server.setState('sip:carol@example.com', 'presence', doc('<rpid:user-input>active</rpid:user-input>'));
      await until(() => h.queued.filter((s) => s.category === 'machine').length === 2);
      const active = h.queued.filter((s) => s.category === 'machine')[1]!;
      expect(active).toMatchObject({ machineState: 'active' });
      expect(active.sourceTime).toBeUndefined(); // stamped by the hub: fresh input now

      // user-input disappears from the document: the machine register lapses (an already-expired signal).
      sim.server.setState('sip:carol@example.com', 'presence', doc(''));
      await until(() => h.queued.filter((s) => s.category === 'machine').length === 3);
      expect(h.queued.filter((s) => s.category === 'machine')[2]).toMatchObject({ machineState: 'unknown', until: expect.any(Number) });
      expect(h.refused).toEqual([]);
    } finally {
      await sup.stop();
      sim.server.setState('sip:carol@example.com', 'presence', undefined);
    }
  });

  it('testConnection tells a reachable server from an unreachable one', async () => {
    const ok = sipPresenceManifest.create(connectorHarness({ id: 's', config: sipPresenceConfigSchema.parse({ server: sim.server.uri() }), people }).ctx);
    expect(await ok.testConnection()).toMatchObject({ ok: true });
    // A UDP port with nobody behind it: OPTIONS times out (short T1).
    const dead = await UserAgent.create({ host: '127.0.0.1', protocols: ['udp'], log });
    const port = dead.local('udp').port;
    await dead.close();
    const bad = sipPresenceManifest.create(connectorHarness({ id: 's', config: sipPresenceConfigSchema.parse({ server: `sip:127.0.0.1:${port}`, t1: '20ms' }), people }).ctx);
    expect(await bad.testConnection()).toMatchObject({ ok: false, kind: 'transient' });
  });

  it('authenticates with digest (401, qop=auth) when the server asks, and reports bad credentials', async () => {
    const secure = await SimPresenceServer.start({ log, auth: { realm: 'corp', users: { 'presence-hub': 'right' } } });
    try {
      const good = connectorHarness({ id: 'a', config: sipPresenceConfigSchema.parse({ server: secure.uri(), presentities: ['sip:alice@example.com'], auth: { username: 'presence-hub', password: 'right' } }), people });
      const sup = good.supervisor(sipPresenceManifest);
      await sup.start();
      await until(() => secure.subscribersOf('sip:alice@example.com', 'presence') === 1);
      await sup.stop();
      const wrong = sipPresenceManifest.create(connectorHarness({ id: 'b', config: sipPresenceConfigSchema.parse({ server: secure.uri(), auth: { username: 'presence-hub', password: 'wrong' } }), people }).ctx);
      expect(await wrong.testConnection()).toMatchObject({ ok: false, kind: 'permanent', code: 'HUB_ERR_SIP_AUTH' });
    } finally {
      await secure.close();
    }
  });

  it('refuses a bad configuration with the path of the field', () => {
    const r = sipPresenceConfigSchema.safeParse({ server: 'http://x', presentities: ['alice'] });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => i.path.join('.'))).toEqual(['server', 'presentities.0']);
  });
});

describe('sip-presence collector: user-input active is re-asserted while the document says so', () => {
  it('re-sends machine active (no sourceTime: the hub stamps it) every interval, and stops once the document says idle', async () => {
    const server = await SimPresenceServer.start({ log });
    const config = sipPresenceConfigSchema.parse({ server: server.uri(), t1: '50ms', restartProbe: 0 });
    const h = connectorHarness({ id: 'ra', config, people: [{ id: 'dan', name: 'Dan', identities: ['sip:dan@example.com'] }], log });
    const session = await SipSession.open(config, log);
    const collector = new SipPresenceCollector({ ctx: h.ctx, guard: new LoopGuard('ra'), reassertMs: 100 });
    const machine = (): Signal[] => h.queued.filter((s) => s.category === 'machine');
    try {
      collector.watch(session, ['sip:dan@example.com']);
      await until(() => server.subscribersOf('sip:dan@example.com', 'presence') === 1);
      const doc = (ui: string): string =>
        `<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="sip:dan@example.com"><tuple id="t"><status><basic>open</basic></status></tuple><dm:person id="p"><rpid:user-input>${ui}</rpid:user-input></dm:person></presence>`;
      server.setState('sip:dan@example.com', 'presence', doc('active'));
      await until(() => machine().length >= 3, 3000);
      expect(machine().every((s) => s.machineState === 'active' && s.sourceTime === undefined)).toBe(true);
      server.setState('sip:dan@example.com', 'presence', doc('idle'));
      await until(() => machine().at(-1)?.machineState === 'inactive');
      const n = machine().length;
      await new Promise((r) => setTimeout(r, 350));
      expect(machine()).toHaveLength(n);
      expect(h.refused).toEqual([]);
    } finally {
      await collector.lapseAll();
      await session.close();
      await server.close();
    }
  });
});
