import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../../core/util/logger.ts';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import { sipPresenceConfigSchema } from './config.ts';
import { sipPresenceManifest } from './manifest.ts';
import { SimPhone, SimPresenceServer } from './simulator.ts';

const log = silentLogger();

describe('sip-presence over TLS (self-signed certificate made with openssl)', () => {
  let dir: string;
  let server: SimPresenceServer;
  let cert: string;
  let key: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-sip-tls-'));
    cert = join(dir, 'cert.pem');
    key = join(dir, 'key.pem');
    const r = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1']);
    if (r.error !== undefined || r.status !== 0) throw new Error(`openssl failed (apt-get install -y openssl): ${r.stderr?.toString()}`);
    const tls = { key: readFileSync(key), cert: readFileSync(cert), ca: readFileSync(cert) };
    server = await SimPresenceServer.start({ log, protocols: ['udp', 'tls'], tls });
  });
  afterAll(async () => {
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
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
