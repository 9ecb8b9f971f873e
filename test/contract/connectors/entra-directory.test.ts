import { entraDirectoryManifest } from '../../../connectors/entra-directory/manifest.ts';
import { connectorContract } from '../connector-contract.ts';
import { GraphUpstream, OFFLINE_CONNECTION } from './graph-upstream.ts';

const g = new GraphUpstream();
const oid = (i: number): string => `00000000-0000-4000-a000-${String(i).padStart(12, '0')}`;
// Incremental rounds every 250 ms find an outage quickly; a failed sync is retried after 100 ms (doubling).
const timers = { incrementalInterval: '250ms', retryDelay: '100ms' };

connectorContract('entra-directory', {
  manifest: entraDirectoryManifest,
  setup: () =>
    g.start((sim) => {
      for (const [i, name] of ['alice', 'bob'].entries()) sim.directory.addUser({ id: oid(i), userPrincipalName: `${name}@corp.example`, displayName: name, mail: `${name}@corp.example` });
    }),
  teardown: () => g.stop(),
  goodConfig: () => ({ ...g.connection(), ...timers }),
  badCredentialsConfig: () => ({ ...g.connection('wrong-client-secret'), ...timers }),
  invalidConfigs: [
    { config: { ...OFFLINE_CONNECTION, tenantId: '' }, field: 'tenantId' },
    { config: { ...OFFLINE_CONNECTION, filter: "displayName eq 'x'" }, field: 'filter' },
    { config: { ...OFFLINE_CONNECTION, teamsFrom: 'groups' }, field: 'groups' },
    { config: { ...OFFLINE_CONNECTION, fullSyncInterval: '8d' }, field: 'fullSyncInterval' },
  ],
  upstream: g.upstream,
  throttle: g.throttle,
  upstreamRequests: () => g.sim.requests.length,
});
