import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/util/logger.ts';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import { buildDialogInfo } from '../sip-core/dialog-info.ts';
import { publishScenario, runSipp, startKamailio, type KamailioPeer } from '../sip-core/testing/kamailio-peer.ts';
import { sipDialogConfigSchema } from './config.ts';
import { sipDialogManifest } from './manifest.ts';
import { until } from '../../test/support/wait.ts';

describe('sip-dialog interop with Kamailio 5.6 (presence_dialoginfo)', () => {
  let kam: KamailioPeer;
  beforeAll(async () => {
    kam = await startKamailio();
  });
  afterAll(async () => {
    await kam?.stop();
  });

  it('turns dialog state published by sipp into line-state signals', async () => {
    const config = sipDialogConfigSchema.parse({
      server: kam.uri,
      lines: [{ uri: 'sip:100@example.com', identity: 'tel:+15550100' }, { uri: 'sip:101@example.com', identity: 'tel:+15550101' }],
      retry: { base: '200ms', max: '2s' },
    });
    const people = [
      { id: 'alice', name: 'Alice', identities: ['tel:+15550100'] },
      { id: 'bob', name: 'Bob', identities: ['tel:+15550101'] },
    ];
    const h = connectorHarness({ id: 'blf', config, people, log: silentLogger() });
    const sup = h.supervisor(sipDialogManifest);
    await sup.start();
    try {
      const target = `127.0.0.1:${kam.port}`;
      const confirmed = buildDialogInfo({ version: 0, state: 'full', entity: 'sip:100@example.com', dialogs: [{ id: 'call-1', callId: 'c1', localTag: 'l1', remoteTag: 'r1', direction: 'initiator', state: 'confirmed', remoteIdentity: 'sip:200@example.com' }] });
      const r1 = await runSipp(publishScenario({ aor: 'sip:100@example.com', event: 'dialog', contentType: 'application/dialog-info+xml', body: confirmed }), target);
      expect(r1.code, r1.output).toBe(0);
      await until(() => h.signals.some((s) => s.person === 'alice' && s.availability === 'busy'));
      expect(h.signals.find((s) => s.person === 'alice' && s.availability === 'busy')).toMatchObject({ category: 'phone', endpoint: 'sip:100@example.com', activity: 'on-the-phone' });

      const ringing = buildDialogInfo({ version: 0, state: 'full', entity: 'sip:101@example.com', dialogs: [{ id: 'call-2', callId: 'c2', localTag: 'l2', direction: 'recipient', state: 'early', remoteIdentity: 'sip:300@example.com' }] });
      const r2 = await runSipp(publishScenario({ aor: 'sip:101@example.com', event: 'dialog', contentType: 'application/dialog-info+xml', body: ringing }), target);
      expect(r2.code, r2.output).toBe(0);
      await until(() => h.signals.some((s) => s.person === 'bob' && s.activity === 'ringing'));
      expect(h.signals.find((s) => s.person === 'bob' && s.activity === 'ringing')?.availability).toBeUndefined();
      expect(h.refused).toEqual([]);
    } finally {
      await sup.stop();
    }
  });
});
