import { sipDialogManifest } from '../../../connectors/sip-dialog/manifest.ts';
import { connectorContract } from '../connector-contract.ts';
import { SipUpstream } from './sip-upstream.ts';

const sip = new SipUpstream();
const lines = { lines: [{ uri: 'sip:100@corp.example', identity: 'tel:+15550100', endpoint: 'desk-100' }] };

connectorContract('sip-dialog', {
  manifest: sipDialogManifest,
  setup: sip.start,
  teardown: sip.stop,
  people: [{ id: 'alice', identities: ['tel:+15550100'] }],
  goodConfig: () => ({ ...sip.connection(), ...lines }),
  badCredentialsConfig: () => ({ ...sip.connection('not-the-password'), ...lines }),
  invalidConfigs: [
    { config: { lines: [{ uri: '100' }] }, field: 'lines.0.uri' },
    { config: { ringingAvailability: 'maybe' }, field: 'ringingAvailability' },
    { config: { t1: 'fast' }, field: 't1' },
  ],
  upstream: sip.upstream,
  throttle: sip.throttle,
  upstreamRequests: sip.requestCount,
});
