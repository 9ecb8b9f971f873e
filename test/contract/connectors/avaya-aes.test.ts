import { avayaAesManifest } from '../../../connectors/avaya-aes/manifest.ts';
import { AesSimulator } from '../../../connectors/avaya-aes/simulator.ts';
import { selfSignedCertificate } from '../../../connectors/avaya-aes/test-support.ts';
import { connectorContract } from '../connector-contract.ts';

// The DMCC simulator over TLS, its self-signed certificate pinned by fingerprint (as an AE Services
// server with its default certificate would be).
const tls = selfSignedCertificate();
const sim = new AesSimulator({ stations: ['4750'], users: { 'hub-cti': 'secret' }, tls: { cert: tls.cert, key: tls.key } });
let port = 0;
const base = (password: string) => ({ host: '127.0.0.1', port, tls: true, fingerprint: tls.fingerprint, username: 'hub-cti', password, switchName: 'CM1', requestTimeout: '2s', retry: { base: '20ms', max: '200ms' } });

connectorContract('avaya-aes', {
  manifest: avayaAesManifest,
  setup: async () => {
    port = await sim.start();
  },
  teardown: async () => {
    await sim.stop();
  },
  people: [{ id: 'alice', identities: ['ext:4750'] }],
  goodConfig: () => base('secret'),
  badCredentialsConfig: () => base('not-the-password'),
  invalidConfigs: [
    { config: { ...base('secret'), switchName: '' }, field: 'switchName' },
    { config: { ...base('secret'), fingerprint: 'AB:CD' }, field: 'fingerprint', mentions: 'SHA-256' },
    { config: { ...base('secret'), extensionRule: { digits: 1 } }, field: 'extensionRule.digits' },
    { config: { ...base('secret'), caFile: '/etc/ssl/ca.pem' }, field: 'fingerprint', mentions: 'not both' },
    { config: { ...base('secret'), lines: [{ extension: 'x', person: 'alice' }] }, field: 'lines.0.extension' },
  ],
  upstream: {
    drop: () => sim.stop(),
    restore: async () => {
      await sim.start(port);
    },
  },
  upstreamRequests: () => sim.requests.length,
  skip: { throttle: 'DMCC has no Retry-After: a busy AE Services refuses a session (serverResourcesBusy), retried with backoff' },
});
