import { sipPresenceManifest } from '../../../connectors/sip-presence/manifest.ts';
import { connectorContract } from '../connector-contract.ts';
import { SipUpstream } from './sip-upstream.ts';

const sip = new SipUpstream();
const watch = { presentities: ['sip:alice@corp.example'] };

connectorContract('sip-presence', {
  manifest: sipPresenceManifest,
  setup: sip.start,
  teardown: sip.stop,
  people: [{ id: 'alice', identities: ['sip:alice@corp.example'] }],
  goodConfig: () => ({ ...sip.connection(), ...watch }),
  badCredentialsConfig: () => ({ ...sip.connection('not-the-password'), ...watch }),
  invalidConfigs: [
    { config: { server: 'http://pbx.corp.example' }, field: 'server' },
    { config: { presentities: ['alice'] }, field: 'presentities.0' },
    { config: { transport: 'sctp' }, field: 'transport' },
    { config: { auth: { password: 'sip-contract-password' } }, field: 'auth.username' },
  ],
  upstream: sip.upstream,
  throttle: sip.throttle,
  upstreamRequests: sip.requestCount,
});
