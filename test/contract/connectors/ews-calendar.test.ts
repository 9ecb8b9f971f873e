import { ewsCalendarManifest } from '../../../connectors/ews-calendar/manifest.ts';
import { EwsSimulator } from '../../../connectors/ews-calendar/simulator.ts';
import { connectorContract } from '../connector-contract.ts';
import { MAIL_PEOPLE, ProxiedUpstream } from './proxied-upstream.ts';

const BASIC = { username: 'svc-presence', password: 'contract-ews-secret' };
const sim = new EwsSimulator({ basic: BASIC });
const up = new ProxiedUpstream(sim);
const url = (): string => up.url('/EWS/Exchange.asmx');
const timers = { pollInterval: '250ms', timeout: '2s' };
const OFFLINE = { url: 'http://127.0.0.1:9/EWS/Exchange.asmx', auth: { type: 'basic', ...BASIC } };

connectorContract('ews-calendar', {
  manifest: ewsCalendarManifest,
  setup: async () => {
    for (let i = 0; i < 2; i++) sim.addMailbox(`user${i}@corp.example`);
    await up.start();
  },
  teardown: () => up.stop(),
  people: MAIL_PEOPLE,
  goodConfig: () => ({ url: url(), auth: { type: 'basic', ...BASIC }, ...timers }),
  badCredentialsConfig: () => ({ url: url(), auth: { type: 'basic', username: BASIC.username, password: 'wrong-ews-password' }, ...timers }),
  invalidConfigs: [
    { config: { ...OFFLINE, url: 'not a url' }, field: 'url' },
    { config: { ...OFFLINE, batchSize: 101 }, field: 'batchSize' },
    { config: { ...OFFLINE, auth: { type: 'kerberos', username: 'svc', password: 'kerberos-secret-9' } }, field: 'auth.type' },
    { config: { ...OFFLINE, streaming: true }, field: 'streaming', mentions: 'impersonation' },
    { config: { ...OFFLINE, streamLifetime: 31 }, field: 'streamLifetime' },
    { config: { ...OFFLINE, surprise: 1 }, field: '' },
  ],
  upstream: up.upstream,
  throttle: {
    arm: (s) => sim.throttleNext(s * 1000),
    requests: () => sim.requests.filter((r) => r.op.startsWith('GetUserAvailability')).map((r) => ({ at: r.at, throttled: r.op.endsWith('(ErrorServerBusy)') })),
  },
  upstreamRequests: () => sim.requests.length,
});
