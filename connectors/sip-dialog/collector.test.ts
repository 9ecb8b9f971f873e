import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/util/logger.ts';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import { sipDialogConfigSchema } from './config.ts';
import { sipDialogManifest } from './manifest.ts';
import { SimPhone, SimPresenceServer } from './simulator.ts';
import { buildDialogInfo } from '../sip-core/dialog-info.ts';
import { until } from '../../test/support/wait.ts';

const log = silentLogger();
describe.each(['udp', 'tcp'] as const)('sip-dialog against the simulator (%s)', (transport) => {
  let server: SimPresenceServer;
  let phone: SimPhone;
  beforeAll(async () => {
    server = await SimPresenceServer.start({ log });
    phone = await SimPhone.start({ server: server.uri(transport), protocol: transport, log });
  });
  afterAll(async () => {
    await phone.close();
    await server.close();
  });

  it('busy, ringing, stuck lamp, idle, notifier restart', async () => {
    const line = 'sip:100@example.com';
    // earlyTimeout: the stuck lamp goes out that long after its ringing NOTIFY was taken (the ringing
    // signal is sent first, in the same step); short, so the test does not wait long for it.
    const config = sipDialogConfigSchema.parse({ server: server.uri(transport), transport, lines: [{ uri: line, identity: 'tel:+15550100', endpoint: 'desk-100' }], earlyTimeout: '150ms', retry: { base: '50ms', max: '200ms' }, t1: '50ms' });
    const h = connectorHarness({ id: 'blf', config, people: [{ id: 'alice', name: 'Alice', identities: ['tel:+15550100'] }] });
    const sup = h.supervisor(sipDialogManifest);
    await sup.start();
    await until(() => server.subscribersOf(line, 'dialog') === 1);
    // The first NOTIFY carries the full (empty) state: the line is idle.
    await h.waitForSignals(1);
    expect(h.signals[0]).toMatchObject({ person: 'alice', availability: 'available' });

    await phone.dialogs(line, [{ id: 'd1', state: 'confirmed', direction: 'initiator', remoteIdentity: 'sip:200@example.com' }]);
    await h.waitForSignals(2);
    expect(h.signals[1]).toMatchObject({ person: 'alice', source: 'blf', endpoint: 'desk-100', category: 'phone', availability: 'busy', activity: 'on-the-phone' });

    await phone.dialogs(line, []);
    await h.waitForSignals(3);
    expect(h.signals[2]).toMatchObject({ availability: 'available' });
    expect(h.signals[2]!.activity).toBeUndefined();

    // Ringing (ringingAvailability none): activity only, whose default availability (the rules:
    // ringing counts as available) lets ingest take it; the terminated NOTIFY never comes, and the
    // lamp goes out by itself.
    await phone.dialogs(line, [{ id: 'd2', state: 'early', direction: 'recipient' }]);
    await h.waitForSignals(4);
    expect(h.signals[3]).toMatchObject({ activity: 'ringing' });
    expect(h.signals[3]!.availability).toBeUndefined();
    expect(h.refused).toEqual([]);
    await h.waitForSignals(5);
    expect(h.signals[4]).toMatchObject({ availability: 'available' });

    // The notifier restarts: CSeq and version start again, and the new state is still taken.
    server.restartCounters();
    await phone.dialogs(line, [{ id: 'd3', state: 'confirmed' }]);
    await h.waitForSignals(6);
    expect(h.signals[5]).toMatchObject({ availability: 'busy' });

    // A malformed body does not stop the connector.
    server.setState(line, 'dialog', '<dialog-info version="x"/>');
    await new Promise((r) => setTimeout(r, 100));
    server.setState(line, 'dialog', undefined);
    await phone.dialogs(line, []);
    await h.waitForSignals(7);
    expect(h.signals[6]).toMatchObject({ availability: 'available' });

    expect(h.refused).toEqual([]);
    await sup.stop();
    await until(() => server.subscribersOf(line, 'dialog') === 0);
  });

  it('a NOTIFY whose body is only white space is no document: the line is idle, no body refused', async () => {
    const line = 'sip:102@example.com';
    const config = sipDialogConfigSchema.parse({ server: server.uri(transport), transport, lines: [{ uri: line, identity: 'tel:+15550102' }], retry: { base: '50ms', max: '200ms' }, t1: '50ms' });
    const h = connectorHarness({ id: 'blf-ws', config, people: [{ id: 'carol', name: 'Carol', identities: ['tel:+15550102'] }] });
    const sup = h.supervisor(sipDialogManifest);
    await sup.start();
    try {
      await until(() => server.subscribersOf(line, 'dialog') === 1);
      await h.waitForSignals(1);
      server.setState(line, 'dialog', buildDialogInfo({ version: 0, state: 'full', entity: line, dialogs: [{ id: 'w1', state: 'confirmed', direction: 'initiator' }] }));
      await h.waitForSignals(2);
      expect(h.signals[1]).toMatchObject({ person: 'carol', availability: 'busy' });
      server.setState(line, 'dialog', ' \r\n');
      await h.waitForSignals(3);
      expect(h.signals[2]).toMatchObject({ person: 'carol', availability: 'available' });
      expect(sup.health().recent.filter((r) => r.code === 'HUB_ERR_SIP_BODY')).toEqual([]);
    } finally {
      await sup.stop();
      server.setState(line, 'dialog', undefined);
    }
  });

  it('a version gap in partial NOTIFYs makes the hub re-SUBSCRIBE in the dialog for a full state (RFC 4235 section 4.1)', async () => {
    const line = 'sip:101@example.com';
    const config = sipDialogConfigSchema.parse({ server: server.uri(transport), transport, lines: [{ uri: line, identity: 'tel:+15550101' }], retry: { base: '50ms', max: '200ms' }, t1: '50ms' });
    const h = connectorHarness({ id: 'blf-gap', config, people: [{ id: 'bob', name: 'Bob', identities: ['tel:+15550101'] }] });
    const sup = h.supervisor(sipDialogManifest);
    await sup.start();
    const refreshes = (): number => server.received.filter((r) => r.method === 'SUBSCRIBE' && (r.headers.get('To') ?? '').startsWith(`<${line}>;tag=`) && r.headers.get('Expires') !== '0').length;
    try {
      await until(() => server.subscribersOf(line, 'dialog') === 1);
      await h.waitForSignals(1); // the first full (empty) document: idle
      const partial = (state: 'early' | 'confirmed'): string => buildDialogInfo({ version: 0, state: 'partial', entity: line, dialogs: [{ id: 'g1', state, direction: 'recipient' }] });
      // In sequence (version 1): applied, no refresh.
      server.setState(line, 'dialog', partial('early'));
      await h.waitForSignals(2);
      expect(h.signals[1]).toMatchObject({ person: 'bob', activity: 'ringing' });
      expect(refreshes()).toBe(0);
      // Two NOTIFYs lost (version 4 after 1): the partial is applied and a refresh SUBSCRIBE asks for full state.
      server.skipVersions(line, 2);
      server.setState(line, 'dialog', partial('confirmed'));
      await until(() => refreshes() === 1, 3000);
      await until(() => h.signals.some((s) => s.availability === 'busy'));
      expect(h.refused).toEqual([]);
    } finally {
      await sup.stop();
      server.setState(line, 'dialog', undefined);
    }
  });
});
