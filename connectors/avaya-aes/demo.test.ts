import { afterAll, describe, expect, it } from 'vitest';
import { loadConfigFile } from '../../core/config/load.ts';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import { manifestsByKind } from '../index.ts';
import type { AesConfig } from './config.ts';
import { avayaAesManifest } from './manifest.ts';
import { runDemo } from './simulator-demo.ts';

// The demo configuration loads, and its connector follows the demo telephone's calls.
const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const s of stops.reverse()) await s();
});

describe('avaya-aes demo', () => {
  it('examples/avaya-aes.yaml against the demo simulator: alice rings, then is in a call', async () => {
    const demo = await runDemo(0, 'demo', () => undefined, 50);
    stops.push(() => demo.stop());
    const file = new URL('../../examples/avaya-aes.yaml', import.meta.url).pathname;
    const loaded = loadConfigFile(file, { env: { AES_USER: 'hubuser', AES_PASSWORD: 'demo', HUB_ADMIN_KEY: 'demo-admin-key-0123456789abcdef' }, manifests: manifestsByKind });
    const config = loaded.connectorConfigs.get('pbx') as AesConfig;
    expect(config).toMatchObject({ host: '127.0.0.1', port: 14721, switchName: 'CM1', tls: false });
    const h = connectorHarness({ id: 'pbx', config: { ...config, port: demo.port }, people: [...loaded.config.people] });
    const c = avayaAesManifest.create(h.ctx);
    stops.push(() => c.stop());
    await c.start();
    const seen = async (activity: string): Promise<void> => {
      const end = Date.now() + 5000;
      while (!h.signals.some((s) => s.person === 'alice' && s.activity === activity)) {
        if (Date.now() > end) throw new Error(`alice never ${activity}`);
        await new Promise((r) => setTimeout(r, 20));
      }
    };
    await seen('ringing');
    await seen('on-the-phone');
  });
});
