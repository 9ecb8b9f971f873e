import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Presence } from '../../core/model/presence.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import { buildPidf } from '../sip-core/pidf.ts';
import { publishScenario, runSipp, startKamailio, watchScenario, type KamailioPeer } from '../sip-core/testing/kamailio-peer.ts';
import { sipPresenceConfigSchema } from './config.ts';
import { sipPresenceManifest } from './manifest.ts';
import { until } from '../../test/support/wait.ts';

const people = [
  { id: 'alice', name: 'Alice', identities: ['sip:alice@example.com'] },
  { id: 'bob', name: 'Bob', identities: ['sip:bob@example.com'] },
];
describe.each(['udp', 'tcp'] as const)('sip-presence interop with Kamailio 5.6 over %s', (transport) => {
  let kam: KamailioPeer;
  beforeAll(async () => {
    kam = await startKamailio();
  });
  afterAll(async () => {
    await kam?.stop();
  });

  it('receives presence published by sipp, and publishes merged presence that a sipp watcher receives, without a loop', async () => {
    const server = transport === 'udp' ? kam.uri : `${kam.uri};transport=tcp`;
    const config = sipPresenceConfigSchema.parse({ server, transport, watchDirectory: true, retry: { base: '200ms', max: '2s' } });
    const h = connectorHarness({ id: 'kam', config, people, log: silentLogger() });
    const sup = h.supervisor(sipPresenceManifest);
    await sup.start();
    try {
      const probe = await sipPresenceManifest.create(connectorHarness({ id: 'probe', config, people, log: silentLogger() }).ctx).testConnection();
      expect(probe, probe.message).toMatchObject({ ok: true });
      // sipp publishes Alice's phone presence; Kamailio NOTIFYs the hub.
      const pidf = buildPidf({ entity: 'sip:alice@example.com', tupleId: 'sipp-t1', personId: 'sipp-p1', basic: 'open', activities: ['on-the-phone'], note: 'sipp call' });
      const pub = await runSipp(publishScenario({ aor: 'sip:alice@example.com', event: 'presence', contentType: 'application/pidf+xml', body: pidf }), `127.0.0.1:${kam.port}`);
      expect(pub.code, pub.output).toBe(0);
      await until(() => h.signals.some((s) => s.person === 'alice' && s.availability === 'busy'));
      expect(h.signals.find((s) => s.person === 'alice' && s.availability === 'busy')).toMatchObject({ source: 'kam', category: 'user', activity: { token: 'on-the-phone', text: 'sipp call' } });

      // The hub publishes Bob's merged presence; a second watcher (sipp) receives it.
      const bob: Presence = { person: 'bob', availability: 6500, class: 'busy', activity: { token: 'in-a-meeting', text: 'Weekly sync' }, decidedBy: 'calendar', since: Date.now(), version: 1 };
      await h.publish([bob]);
      const watch = await runSipp(watchScenario({ aor: 'sip:bob@example.com', expect: 'rpid:meeting' }), `127.0.0.1:${kam.port}`);
      expect(watch.code, watch.output).toBe(0);

      // Loop guard: the hub also watches Bob and gets its own publication back; it is not a signal.
      await new Promise((r) => setTimeout(r, 500));
      expect(h.signals.filter((s) => s.person === 'bob' && s.until === undefined)).toEqual([]);
      // Bob's phone publishes 'working' (available): Kamailio composes both publications into one
      // NOTIFY; only the phone's part counts, so Bob is available, not busy from the hub's meeting.
      const phone = buildPidf({ entity: 'sip:bob@example.com', tupleId: 'sipp-t2', personId: 'sipp-p2', basic: 'open', activities: ['working'] });
      const pub2 = await runSipp(publishScenario({ aor: 'sip:bob@example.com', event: 'presence', contentType: 'application/pidf+xml', body: phone }), `127.0.0.1:${kam.port}`);
      expect(pub2.code, pub2.output).toBe(0);
      await until(() => h.signals.some((s) => s.person === 'bob'));
      expect(h.signals.filter((s) => s.person === 'bob')).toMatchObject([{ availability: 'available', activity: { token: 'working' } }]);
      expect(h.refused).toEqual([]);
    } finally {
      await sup.stop();
    }
  });
});

describe('sip-presence survives a Kamailio restart', () => {
  it('re-creates the lost subscription (481 on refresh), lapses the state meanwhile, and sees new state', async () => {
    let kam = await startKamailio();
    const port = kam.port;
    const config = sipPresenceConfigSchema.parse({ server: kam.uri, presentities: ['sip:alice@example.com'], expires: 6, retry: { base: '200ms', max: '1s' }, publish: { enabled: false } });
    const h = connectorHarness({ id: 'kam', config, people, log: silentLogger() });
    const sup = h.supervisor(sipPresenceManifest);
    await sup.start();
    try {
      const body = (a: string): string => buildPidf({ entity: 'sip:alice@example.com', tupleId: 'sipp-t1', personId: 'sipp-p1', basic: 'open', activities: [a] });
      const pub = await runSipp(publishScenario({ aor: 'sip:alice@example.com', event: 'presence', contentType: 'application/pidf+xml', body: body('on-the-phone') }), `127.0.0.1:${port}`);
      expect(pub.code, pub.output).toBe(0);
      await until(() => h.signals.some((s) => s.availability === 'busy'));
      // Restart: the new Kamailio knows neither the subscription nor the publication.
      await kam.stop();
      kam = await startKamailio({ port });
      // The refresh (within ~6 s) gets 481: the register lapses and the subscription is re-created.
      await until(() => h.signals.some((s) => s.until !== undefined), 20_000);
      const pub2 = await runSipp(publishScenario({ aor: 'sip:alice@example.com', event: 'presence', contentType: 'application/pidf+xml', body: body('vacation') }), `127.0.0.1:${port}`);
      expect(pub2.code, pub2.output).toBe(0);
      await until(() => h.signals.some((s) => s.availability === 'away'), 20_000);
    } finally {
      await sup.stop();
      await kam.stop();
    }
  });
});
