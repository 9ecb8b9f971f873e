import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/util/clock.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../../test/support/hub.ts';
import { AesSimulator } from './simulator.ts';
import { until } from '../../test/support/wait.ts';

// Through the real hub: the connector's signals go through ingest, the queue and aggregate(), and
// are read back from the public API as a watcher would see them.
const ADMIN = auth(TEAM_ENV.ADMIN_KEY);
let sim: AesSimulator;
let t: TestHub;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function presence(person: string): Promise<{ class: string; activity?: { token: string; text: string } }> {
  await t.settle();
  return (await t.app.inject({ method: 'GET', url: `/v1/presence/${person}`, headers: ADMIN })).json();
}
beforeAll(async () => {
  sim = new AesSimulator({ stations: ['0101', '4751'], users: { hubuser: 'secret' } });
  const port = await sim.start();
  const base = teamConfig();
  t = await testHub({
    clock: systemClock,
    env: { ...TEAM_ENV, AES_USER: 'hubuser', AES_PASSWORD: 'secret' },
    config: {
      ...base,
      // alice's desk phone is her tel: number's last 4 digits; bob's ext: is not on the switch
      people: base.people!.map((p) => (p.id === 'bob' ? { ...p, identities: [...(p.identities ?? []), 'ext:4999'] } : p)),
      connectors: [{ id: 'pbx', kind: 'avaya-aes', host: '127.0.0.1', port, tls: false, username: '${AES_USER}', password: '${AES_PASSWORD}', switchName: 'CM1' }],
    },
  });
  await until('monitor started', async () => sim.monitorCount === 1);
});
afterAll(async () => {
  await t?.close();
  await sim?.stop();
});

describe('avaya-aes through the hub', () => {
  it('an inbound call makes alice "In a call" and clearing it gives back her prior state; hold shows "On hold"', async () => {
    await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person: 'alice', source: 'api', category: 'user', availability: 'available' } });
    await until('available', async () => (await presence('alice')).class === 'available');
    const call = sim.dial('+15559990000', '0101');
    await until('ringing shown', async () => (await presence('alice')).activity?.text === 'Ringing');
    expect((await presence('alice')).class).toBe('available'); // a ringing phone does not make her busy
    sim.answer(call, '0101');
    await until('in a call', async () => (await presence('alice')).activity?.text === 'In a call');
    expect((await presence('alice')).class).toBe('busy');
    sim.hold(call, '0101');
    await until('on hold', async () => (await presence('alice')).activity?.text === 'On hold');
    expect((await presence('alice')).class).toBe('busy');
    sim.hangup(call, '0101');
    await until('back to available', async () => {
      const p = await presence('alice');
      return p.class === 'available' && p.activity?.token !== 'on-hold';
    });
  });

  it('the unknown extension is on the directory report for its person; connector health stays clean', async () => {
    const report = (await t.app.inject({ method: 'GET', url: '/v1/directory/report', headers: ADMIN })).json();
    const pbx = report.connectors.find((c: { connector: string }) => c.connector === 'pbx');
    expect(pbx.skipped).toEqual([{ entry: 'bob (extension 4999)', reason: expect.stringContaining('HUB_ERR_AES_UNKNOWN_EXTENSION') }]);
    const connectors = (await t.app.inject({ method: 'GET', url: '/v1/connectors', headers: ADMIN })).json();
    const c = (Array.isArray(connectors) ? connectors : connectors.connectors).find((x: { id: string }) => x.id === 'pbx');
    expect(c.state ?? c.health?.state).toBe('running');
    expect(JSON.stringify(c)).not.toContain('4999');
  });
});
