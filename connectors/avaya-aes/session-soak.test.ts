import { afterEach, describe, expect, it, vi } from 'vitest';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import { aesConfigSchema } from './config.ts';
import { avayaAesManifest } from './manifest.ts';
import { AesSimulator } from './simulator.ts';

// Ten minutes of session life in virtual time: the connector's and the simulator's timers are
// driven by the test (the default 180 s session), the connection and the XML are real.
const realTick = (): Promise<void> => new Promise((r) => setImmediate(r));

afterEach(() => {
  vi.useRealTimers();
});

describe('avaya-aes session keep-alive over a 10-minute run', () => {
  it('never lets the session expire, with the default 180 s duration', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const sim = new AesSimulator({ stations: ['4750'], users: { hub: 'secret' } });
    const port = await sim.start();
    const h = connectorHarness({ id: 'aes', config: aesConfigSchema.parse({ host: '127.0.0.1', port, tls: false, username: 'hub', password: 'secret', switchName: 'CM1' }), people: [{ id: 'alice', identities: ['ext:4750'] }] });
    const sup = h.supervisor(avayaAesManifest);
    try {
      await sup.start();
      for (let i = 0; i < 50 && sim.monitorCount < 1; i++) await realTick();
      expect(sim.monitorCount).toBe(1);
      for (let s = 0; s < 600; s++) {
        await vi.advanceTimersByTimeAsync(1000);
        for (let k = 0; k < 5; k++) await realTick();
      }
      expect(sim.expired).toBe(0);
      expect(sim.sessionCount).toBe(1);
      // A reset every 60 s (a third of the 180 s granted): about ten in ten minutes.
      expect(sim.requests.filter((r) => r.name === 'ResetApplicationSessionTimer').length).toBeGreaterThanOrEqual(9);
      expect(sup.health().state).toBe('running');
      expect(sup.health().lastError).toBeUndefined();
    } finally {
      await sup.stop();
      await sim.stop();
    }
  });
});
