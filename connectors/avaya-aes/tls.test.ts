import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import { aesConfigSchema, portOf } from './config.ts';
import { avayaAesManifest } from './manifest.ts';
import { AesSimulator } from './simulator.ts';
import { selfSignedCertificate } from './test-support.ts';
import { connectionTest } from '../../core/connector/test-connection.ts';

// TLS on the DMCC secure port: the server certificate checked against a CA file, or pinned by its
// SHA-256 fingerprint; anything else is refused as permanent (retrying cannot fix a certificate).
const cert = selfSignedCertificate();
const sim = new AesSimulator({ stations: ['4750'], users: { hub: 'secret' }, tls: { cert: cert.cert, key: cert.key } });
let port = 0;
beforeAll(async () => {
  port = await sim.start();
});
afterAll(async () => {
  await sim.stop();
});

const test = (extra: Record<string, unknown>) =>
  connectionTest(avayaAesManifest.create(connectorHarness({ id: 'aes', config: aesConfigSchema.parse({ host: '127.0.0.1', port, username: 'hub', password: 'secret', switchName: 'CM1', requestTimeout: '2s', ...extra }) }).ctx));

describe('avaya-aes TLS', () => {
  it('accepts the server certificate signed by the configured CA', async () => {
    expect(await test({ caFile: cert.certFile })).toMatchObject({ ok: true });
  });

  it('accepts a certificate pinned by fingerprint (with or without colons, any case)', async () => {
    expect(await test({ fingerprint: cert.fingerprint })).toMatchObject({ ok: true });
    expect(await test({ fingerprint: cert.fingerprint.replace(/:/g, '').toLowerCase() })).toMatchObject({ ok: true });
  });

  it('refuses a certificate that matches no CA, or not the pinned fingerprint, as permanent', async () => {
    expect(await test({})).toMatchObject({ ok: false, kind: 'permanent', code: 'HUB_ERR_AES_TLS' });
    const wrong = await test({ fingerprint: 'AA'.repeat(32) });
    expect(wrong).toMatchObject({ ok: false, kind: 'permanent', code: 'HUB_ERR_AES_TLS' });
    expect(wrong.message).toMatch(/does not match the configured fingerprint/);
  });

  it('says plain TCP against the TLS port is not a DMCC session', async () => {
    const r = await test({ tls: false });
    expect(r).toMatchObject({ ok: false });
    expect(r.code).toMatch(/^HUB_ERR_AES_/);
  });

  it('defaults to the secure port 4722, and 4721 without TLS', () => {
    const base = { host: 'aes.corp.example', username: 'u', password: 'p', switchName: 'CM1' };
    expect(portOf(aesConfigSchema.parse(base))).toBe(4722);
    expect(portOf(aesConfigSchema.parse({ ...base, tls: false }))).toBe(4721);
    expect(portOf(aesConfigSchema.parse({ ...base, port: 14722 }))).toBe(14722);
  });
});
