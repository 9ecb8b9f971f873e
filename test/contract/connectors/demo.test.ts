import { demoManifest } from '../../../connectors/demo/manifest.ts';
import { connectorContract } from '../connector-contract.ts';

connectorContract('demo', {
  manifest: demoManifest,
  setup: async () => undefined,
  teardown: async () => undefined,
  people: [{ id: 'alice', identities: ['mailto:alice@corp.example'] }],
  goodConfig: () => ({ interval: '100ms', perTick: 2 }),
  invalidConfigs: [
    { config: { perTick: 0 }, field: 'perTick' },
    { config: { interval: 'often' }, field: 'interval' },
    { config: { seed: 1.5 }, field: 'seed' },
  ],
  skip: { credentials: 'the demo has no credentials', upstream: 'the demo has no upstream', throttle: 'the demo has no upstream' },
});
