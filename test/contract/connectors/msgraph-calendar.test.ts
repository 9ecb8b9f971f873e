import { msgraphCalendarManifest } from '../../../connectors/msgraph-calendar/manifest.ts';
import { connectorContract } from '../connector-contract.ts';
import { GraphUpstream, OFFLINE_CONNECTION } from './graph-upstream.ts';

const g = new GraphUpstream();
const oid = (i: number): string => `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`;
const timers = { interval: '250ms', requests: { perWindow: 1000, window: '10s' } };

connectorContract('msgraph-calendar', {
  manifest: msgraphCalendarManifest,
  setup: () =>
    g.start((sim) => {
      for (let i = 0; i < 2; i++) sim.presence.addUser({ id: oid(i), upn: `user${i}@corp.example` });
    }),
  teardown: () => g.stop(),
  people: [0, 1].map((i) => ({ id: `user${i}`, identities: [`mailto:user${i}@corp.example`] })),
  goodConfig: () => ({ ...g.connection(), ...timers }),
  badCredentialsConfig: () => ({ ...g.connection('wrong-client-secret'), ...timers }),
  invalidConfigs: [
    { config: { ...OFFLINE_CONNECTION, clientId: '' }, field: 'clientId' },
    { config: { ...OFFLINE_CONNECTION, batchSize: 101 }, field: 'batchSize' },
    { config: { ...OFFLINE_CONNECTION, subscriptions: { enabled: true, clientState: 'short', refreshTokens: 'x', notificationUrl: 'https://hub.example/n' } }, field: 'subscriptions.clientState' },
  ],
  upstream: g.upstream,
  throttle: g.throttle,
  upstreamRequests: () => g.sim.requests.length,
});
