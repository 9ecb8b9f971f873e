import { msgraphPresenceManifest } from '../../../connectors/msgraph-presence/manifest.ts';
import { connectorContract } from '../connector-contract.ts';
import { GraphUpstream, OFFLINE_CONNECTION } from './graph-upstream.ts';

const g = new GraphUpstream();
const oid = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

connectorContract('msgraph-presence', {
  manifest: msgraphPresenceManifest,
  setup: () =>
    g.start((sim) => {
      for (let i = 0; i < 2; i++) sim.presence.addUser({ id: oid(i), upn: `user${i}@corp.example`, client: { availability: 'Available', activity: 'Available' } });
    }),
  teardown: () => g.stop(),
  people: [0, 1].map((i) => ({ id: `user${i}`, identities: [`entra:${oid(i)}`] })),
  goodConfig: () => ({ ...g.connection(), requestTimeout: '1s', poll: { interval: '250ms' } }),
  badCredentialsConfig: () => ({ ...g.connection('wrong-client-secret'), requestTimeout: '1s', poll: { interval: '250ms' } }),
  invalidConfigs: [
    { config: { ...OFFLINE_CONNECTION, tenantId: '' }, field: 'tenantId' },
    { config: { ...OFFLINE_CONNECTION, graphBaseUrl: 'graph.microsoft.com' }, field: 'graphBaseUrl' },
    { config: { ...OFFLINE_CONNECTION, poll: { batchSize: 651 } }, field: 'poll.batchSize' },
  ],
  upstream: g.upstream,
  throttle: g.throttle,
  upstreamRequests: () => g.sim.requests.length,
});
