import { xmppManifest } from '../../../connectors/xmpp/manifest.ts';
import { startXmppServer, XMPP_USERS } from '../../../connectors/xmpp/simulator.ts';
import type { Prosody } from '../../support/peers/prosody.ts';
import { connectorContract } from '../connector-contract.ts';

// A real Prosody: the outage is the server stopped (SIGTERM), the recovery the same server started again.
let server: Prosody | undefined;
const HUB_PASSWORD = XMPP_USERS['presence-hub']!;

const config = (password = HUB_PASSWORD, secret?: string): Record<string, unknown> => ({
  service: server!.service,
  jid: 'presence-hub@corp.example',
  password,
  timeout: '10s',
  reconnect: { base: '100ms', max: '500ms' },
  collect: { settle: '300ms' },
  component: { service: server!.componentService, domain: server!.component, secret: secret ?? server!.componentSecret },
});

connectorContract('xmpp', {
  manifest: xmppManifest,
  async setup() {
    server = await startXmppServer();
  },
  teardown: async () => server?.stop(),
  people: [{ id: 'bob', identities: ['xmpp:bob@corp.example'] }],
  goodConfig: () => config(),
  badCredentialsConfig: () => config('not-the-password'),
  invalidConfigs: [
    { config: { service: 'http://chat.corp.example', jid: 'hub@corp.example', password: 'contract-secret-1' }, field: 'service', mentions: 'xmpp://' },
    { config: { service: 'xmpp://chat.corp.example:5222', jid: 'hub', password: 'contract-secret-1' }, field: 'jid' },
    { config: { service: 'xmpp://chat.corp.example:5222', jid: 'hub@corp.example' }, field: 'password' },
    { config: { component: { service: 'xmpp://chat.corp.example:5347', domain: 'presence.corp.example' } }, field: 'component.secret' },
    { config: { component: { service: 'xmpp://chat.corp.example:5347', domain: 'Presence Domain', secret: 'contract-secret-2' } }, field: 'component.domain' },
    { config: { component: { service: 'xmpp://c:5347', domain: 'presence.corp.example', secret: 'contract-secret-2', strangers: 'maybe' } }, field: 'component.strangers' },
    { config: { collect: { via: 'pigeon' }, component: { service: 'xmpp://c:5347', domain: 'p.example', secret: 'contract-secret-2' } }, field: 'collect.via' },
    { config: {}, field: 'component', mentions: 'service, jid and password' },
    { config: { server: 'xmpp://c:5222' }, field: '' },
  ],
  upstream: {
    drop: async () => server!.kill(),
    restore: async () => server!.start(),
  },
  skip: { throttle: 'XMPP has no Retry-After: a server throttles by reading slower (Prosody mod_limits), which TCP backpressure honours' },
});
