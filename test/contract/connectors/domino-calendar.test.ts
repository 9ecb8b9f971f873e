import { dominoCalendarManifest } from '../../../connectors/domino-calendar/manifest.ts';
import { DominoSimulator } from '../../../connectors/domino-calendar/simulator.ts';
import { connectorContract } from '../connector-contract.ts';
import { MAIL_PEOPLE, ProxiedUpstream } from './proxied-upstream.ts';

const ACCOUNT = { username: 'svc-presence', password: 'contract-domino-secret' };
const sim = new DominoSimulator(ACCOUNT);
const up = new ProxiedUpstream(sim);
const url = (): string => up.url();
const timers = { pollInterval: '250ms', timeout: '2s' };
const OFFLINE = { url: 'http://127.0.0.1:9', ...ACCOUNT };

connectorContract('domino-calendar', {
  manifest: dominoCalendarManifest,
  setup: async () => {
    for (let i = 0; i < 2; i++) sim.addPerson([`user${i}@corp.example`, `CN=User ${i}/O=Corp`], { entries: [] });
    await up.start();
  },
  teardown: () => up.stop(),
  people: MAIL_PEOPLE,
  goodConfig: () => ({ url: url(), ...ACCOUNT, ...timers }),
  badCredentialsConfig: () => ({ url: url(), username: ACCOUNT.username, password: 'wrong-domino-password', ...timers }),
  invalidConfigs: [
    { config: { ...OFFLINE, url: 'not a url' }, field: 'url' },
    { config: { ...OFFLINE, api: 'soap' }, field: 'api' },
    { config: { ...OFFLINE, concurrency: 0 }, field: 'concurrency' },
    { config: { ...OFFLINE, details: 'everything' }, field: 'details' },
    { config: { ...OFFLINE, surprise: 1 }, field: '' },
  ],
  upstream: up.upstream,
  skip: { throttle: 'Domino (DRAPI, DAS) documents no throttling answer or Retry-After; a 429 or 503 is treated as the server unavailable' },
  upstreamRequests: () => sim.requests.length,
});
