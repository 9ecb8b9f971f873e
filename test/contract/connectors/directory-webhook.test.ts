import type { ConnectorSupervisor } from '../../../core/connector/supervisor.ts';
import { classActivity } from '../../../core/model/presence.ts';
import { directoryWebhookManifest } from '../../../connectors/directory-webhook/manifest.ts';
import { startWebhookReceiver, type WebhookReceiver } from '../../../connectors/directory-webhook/simulator.ts';
import { TcpProxy } from '../../support/tcp-proxy.ts';
import { connectorContract } from '../connector-contract.ts';
import type { Harness } from '../../support/connector-harness.ts';
import type { DirectoryWebhookConfig } from '../../../connectors/directory-webhook/config.ts';

const SECRET = 'contract-webhook-shared-secret';
let rx: WebhookReceiver;
let proxy: TcpProxy;
let flip = 0;
const timers = { interval: '50ms', retryBase: '50ms', retryMax: '300ms', timeout: '1s' };
const url = (): string => proxy.rewrite(rx.url);

/**
 * A publish-only kind talks to its receiver when the hub's presence changes: a change of class each
 * time, handed to the reconciliation the connector attached (as the hub does).
 */
async function poke(_sup: ConnectorSupervisor, h: Harness<DirectoryWebhookConfig>): Promise<void> {
  const busy = flip++ % 2 === 0;
  await h.publish([{ person: 'alice', availability: busy ? 6500 : 3500, class: busy ? 'busy' : 'available', activity: classActivity(busy ? 'busy' : 'available'), since: Date.now(), version: flip }]);
}

connectorContract('directory-webhook', {
  manifest: directoryWebhookManifest,
  people: [{ id: 'alice' }],
  setup: async () => {
    rx = await startWebhookReceiver({ secret: SECRET });
    proxy = await TcpProxy.start({ port: Number(new URL(rx.url).port) });
  },
  teardown: async () => {
    await proxy.close();
    await rx.close();
  },
  goodConfig: () => ({ url: url(), secret: SECRET, ...timers }),
  badCredentialsConfig: () => ({ url: url(), secret: 'not-the-shared-secret', ...timers }),
  invalidConfigs: [
    { config: { url: 'ftp://sync.corp.example/in', secret: SECRET }, field: 'url' },
    { config: { url: 'https://sync.corp.example/in', secret: 'short' }, field: 'secret' },
    { config: { url: 'https://sync.corp.example/in', secret: SECRET, batchSize: 0 }, field: 'batchSize' },
  ],
  upstream: { drop: () => proxy.down(), restore: () => proxy.up() },
  throttle: {
    arm: (s) => rx.script([429, String(s)]),
    requests: () => rx.requests.map((r) => ({ at: r.at, throttled: r.status === 429 })),
  },
  poke,
  upstreamRequests: () => rx.requests.length,
});
