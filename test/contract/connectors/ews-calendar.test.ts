import { ewsCalendarManifest } from '../../../connectors/ews-calendar/manifest.ts';
import { EwsSimulator } from '../../../connectors/ews-calendar/simulator.ts';
import { TcpProxy } from '../../support/tcp-proxy.ts';
import { connectorContract } from '../connector-contract.ts';

const BASIC = { username: 'svc-presence', password: 'contract-ews-secret' };
const sim = new EwsSimulator({ basic: BASIC });
let proxy: TcpProxy | undefined;
const url = (): string => `http://127.0.0.1:${proxy!.port}/EWS/Exchange.asmx`;
const timers = { pollInterval: '250ms', timeout: '2s' };
const OFFLINE = { url: 'http://127.0.0.1:9/EWS/Exchange.asmx', auth: { type: 'basic', ...BASIC } };

connectorContract('ews-calendar', {
  manifest: ewsCalendarManifest,
  setup: async () => {
    for (let i = 0; i < 2; i++) sim.addMailbox(`user${i}@corp.example`);
    await sim.start();
    proxy = await TcpProxy.start({ port: Number(new URL(sim.url).port) });
  },
  teardown: async () => {
    await proxy?.close();
    await sim.stop();
  },
  people: [0, 1].map((i) => ({ id: `user${i}`, identities: [`mailto:user${i}@corp.example`] })),
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
  upstream: { drop: () => proxy!.down(), restore: () => proxy!.up() },
  throttle: {
    arm: (s) => sim.throttleNext(s * 1000),
    requests: () => sim.requests.filter((r) => r.op.startsWith('GetUserAvailability')).map((r) => ({ at: r.at, throttled: r.op.endsWith('(ErrorServerBusy)') })),
  },
  upstreamRequests: () => sim.requests.length,
});
