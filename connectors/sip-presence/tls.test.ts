import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/util/logger.ts';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import { sipPresenceConfigSchema } from './config.ts';
import { sipPresenceManifest } from './manifest.ts';
import { SimPhone, SimPresenceServer } from './simulator.ts';

const log = silentLogger();

// A self-signed certificate for localhost and 127.0.0.1, committed for this test (fixtures/README.md),
// so that the unit tier needs no openssl binary.
const cert = join(import.meta.dirname, 'fixtures/test-only-localhost-cert.pem');
const key = join(import.meta.dirname, 'fixtures/test-only-localhost-key.pem');

describe('sip-presence over TLS (self-signed certificate)', () => {
  let server: SimPresenceServer;
  beforeAll(async () => {
    const tls = { key: readFileSync(key), cert: readFileSync(cert), ca: readFileSync(cert) };
    server = await SimPresenceServer.start({ log, protocols: ['udp', 'tls'], tls });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('subscribes and receives NOTIFYs over TLS, verifying the peer certificate', async () => {
    const config = sipPresenceConfigSchema.parse({ server: server.uri('tls'), transport: 'tls', tls: { certFile: cert, keyFile: key, caFile: cert }, presentities: ['sip:alice@example.com'] });
    const h = connectorHarness({ id: 'tls', config, people: [{ id: 'alice', name: 'Alice', identities: ['sip:alice@example.com'] }], log });
    const sup = h.supervisor(sipPresenceManifest);
    await sup.start();
    const phone = await SimPhone.start({ server: server.uri(), log });
    try {
      await phone.presence('sip:alice@example.com', 'open', ['meeting']);
      await h.waitForSignals(1);
      expect(h.signals[0]).toMatchObject({ person: 'alice', availability: 'busy', activity: { token: 'in-a-meeting' } });
    } finally {
      await phone.close();
      await sup.stop();
    }
  });

  it('refuses a server whose certificate it does not trust', async () => {
    const config = sipPresenceConfigSchema.parse({ server: server.uri('tls'), transport: 'tls', tls: { certFile: cert, keyFile: key }, presentities: [] });
    const c = sipPresenceManifest.create(connectorHarness({ id: 'tls2', config, people: [], log }).ctx);
    const r = await c.testConnection();
    expect(r).toMatchObject({ ok: false, kind: 'transient' });
    expect(r.message).toMatch(/certificate/i);
  });
});
