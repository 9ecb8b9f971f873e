/**
 * Issue 11 acceptance, Teams side: a PBX call posted to the hub's API shows Busy/InACall in Teams
 * (the project's Graph simulator) within 2 s, and Teams shows the client's own state again within
 * 2 s of the call's end or of Graph's recovery; no ghost after an outage, a hub restart mid-call
 * (embedded and Redis) or a lease handover; at most 2 writes per call on the happy path.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { redisPipeline } from '../../core/pipeline/redis/index.ts';
import { ManualClock, systemClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { GraphSimulator, type GraphWriteFault } from '../../connectors/msgraph-shared/simulator.ts';
import { freshPrefix, redisUrl } from '../support/redis-url.ts';
import { auth, testHub, type TestHub } from '../support/hub.ts';

const APP = { clientId: '22553876-f5ab-4529-bffb-cfe50aa89f87', clientSecret: 'sim-secret-value' };
const ALICE = '00000000-0000-4000-8000-000000000001';
const KEY = 'publisher-secret-0002';

let sims: GraphSimulator[] = [];
let hubs: TestHub[] = [];
afterEach(async () => {
  for (const h of hubs) await h.close().catch(() => undefined);
  for (const s of sims) await s.stop();
  hubs = [];
  sims = [];
});

/** The simulator; its clock is manual so that a 30 s outage passes without waiting 30 s. */
async function graph(): Promise<{ sim: GraphSimulator; clock: ManualClock }> {
  const clock = new ManualClock(Date.now());
  const sim = new GraphSimulator(clock);
  sim.addApp(APP);
  await sim.start();
  sim.presence.addUser({ id: ALICE, upn: 'alice@corp.example', client: { availability: 'Available', activity: 'Available' } });
  sims.push(sim);
  return { sim, clock };
}

function config(sim: GraphSimulator) {
  return {
    people: [{ id: 'alice', name: 'Alice', identities: [`entra:${ALICE}`, 'tel:+15550101'] }],
    auth: { keys: [{ name: 'pbx', secret: '${PUB_KEY}', roles: ['publisher' as const, 'admin' as const] }] },
    connectors: [
      {
        id: 'teams',
        kind: 'msgraph-presence',
        tenantId: sim.tenantId,
        clientId: APP.clientId,
        clientSecret: '${GRAPH_SECRET}',
        graphBaseUrl: sim.url,
        tokenEndpoint: sim.tokenEndpoint(),
        requestTimeout: '500ms',
        poll: { interval: '1s' },
        publish: { enabled: true },
      },
    ],
  };
}

async function embeddedHub(sim: GraphSimulator): Promise<TestHub> {
  const t = await testHub({ config: config(sim), env: { PUB_KEY: KEY, GRAPH_SECRET: APP.clientSecret }, clock: systemClock });
  hubs.push(t);
  return t;
}

async function redisHub(sim: GraphSimulator, prefix: string, nodeId: string): Promise<TestHub> {
  const pipeline = await redisPipeline({ url: redisUrl(), prefix, log: silentLogger(), nodeId, lockDurationMs: 5000, stalledIntervalMs: 2000 });
  const t = await testHub({ config: config(sim), env: { PUB_KEY: KEY, GRAPH_SECRET: APP.clientSecret }, clock: systemClock, pipeline, lease: pipeline.lease, leaseTtlMs: 1500, nodeId });
  hubs.push(t);
  return t;
}

const call = async (t: TestHub, on: boolean): Promise<void> => {
  const body = on ? { person: 'alice', source: 'pbx', endpoint: 'line-1', category: 'phone', availability: 'busy', activity: 'on-the-phone' } : { person: 'alice', source: 'pbx', endpoint: 'line-1', category: 'phone', availability: 'available' };
  const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(KEY), payload: body });
  expect(res.statusCode).toBe(202);
};

const teams = (sim: GraphSimulator) => {
  const s = sim.presence.snapshot(sim.presence.users.get(ALICE)!);
  return `${s.availability}/${s.activity}`;
};

/** Resolves with the time it took for Teams to show `want`; fails after `ms`. */
async function shows(sim: GraphSimulator, want: string, ms = 2000): Promise<number> {
  const t0 = Date.now();
  while (teams(sim) !== want) {
    if (Date.now() - t0 > ms) throw new Error(`Teams shows ${teams(sim)}, not ${want}, after ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return Date.now() - t0;
}

const writesSince = (sim: GraphSimulator, from: number) => sim.presenceWrites.slice(from).map((w) => w.action);
async function ready(t: TestHub, sim: GraphSimulator): Promise<void> {
  const t0 = Date.now();
  // Running, the start-up reconcile done (its clear sent), the first poll read.
  while (t.hub.supervisors.get('teams')?.health().publishing?.pending !== 0 || !sim.requests.some((r) => r.path.includes('getPresencesByUserId'))) {
    if (Date.now() - t0 > 5000) throw new Error('the Teams connector did not start');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('Teams shows the hub’s answer, and only while it holds (embedded mode)', () => {
  const faults: [string, GraphWriteFault | undefined][] = [
    ['Graph answers as documented', undefined],
    ['Graph answers 200 with an empty body labelled application/json', { kind: 'empty-json' }],
  ];
  it.each(faults)('%s: a call shows within 2 s, its end within 2 s, 2 writes per call', async (_name, fault) => {
    const { sim } = await graph();
    const t = await embeddedHub(sim);
    await ready(t, sim);
    if (fault !== undefined) sim.injectWriteFault(fault);
    const from = sim.presenceWrites.length;
    await call(t, true);
    await shows(sim, 'Busy/InACall');
    await new Promise((r) => setTimeout(r, 1500)); // polls read the hub's own session back meanwhile
    await call(t, false);
    await shows(sim, 'Available/Available');
    await new Promise((r) => setTimeout(r, 1500));
    expect(writesSince(sim, from)).toEqual(['setPresence', 'clearPresence']);
    const h = t.hub.supervisors.get('teams')!.health();
    expect(h.publishing).toMatchObject({ pending: 0, unknownOutcomes: 0, failed: 0 });
    // The hub never took its own Busy for Alice's.
    expect((await t.hub.presence(['alice']))[0]).toMatchObject({ class: 'available' });
  });

  it('a write that times out after Graph applied it is possibly applied: read back as the hub’s own, retried, cleared at the end', async () => {
    const { sim } = await graph();
    const t = await embeddedHub(sim);
    await ready(t, sim);
    sim.injectWriteFault({ kind: 'apply-then-hang' }, { count: 1 });
    await call(t, true);
    await shows(sim, 'Busy/InACall');
    const deadline = Date.now() + 5000;
    while ((t.hub.supervisors.get('teams')!.health().publishing?.unknownOutcomes ?? 0) < 1 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await new Promise((r) => setTimeout(r, 2000)); // polls read Busy/InACall back; the retry confirms
    expect(t.hub.supervisors.get('teams')!.health().publishing).toMatchObject({ unknownOutcomes: 1, pending: 0 });
    await call(t, false);
    await shows(sim, 'Available/Available');
    await new Promise((r) => setTimeout(r, 1500));
    expect(teams(sim)).toBe('Available/Available');
    expect((await t.hub.presence(['alice']))[0]).toMatchObject({ class: 'available' });
  });

  it('all writes fail with 500 for 30 s: Teams shows the call within 2 s of recovery, and its end within 2 s', async () => {
    const { sim, clock } = await graph();
    const t = await embeddedHub(sim);
    await ready(t, sim);
    sim.injectWriteFault({ kind: 'status', status: 500 }, { forMs: 30_000 });
    await call(t, true);
    await new Promise((r) => setTimeout(r, 2500));
    expect(teams(sim)).toBe('Available/Available');
    expect(t.hub.supervisors.get('teams')!.health().publishing).toMatchObject({ pending: 1 });
    expect(t.hub.supervisors.get('teams')!.health().state).toBe('degraded');
    clock.advance(30_000); // the outage ends
    await shows(sim, 'Busy/InACall');
    await call(t, false);
    await shows(sim, 'Available/Available');
    const h = t.hub.supervisors.get('teams')!.health();
    expect(h.publishing!.retries).toBeGreaterThan(0);
    expect(h.publishing).toMatchObject({ pending: 0 });
  });

  it('a hub restart mid-call leaves no ghost: the new hub clears what it cannot vouch for', async () => {
    const { sim } = await graph();
    const first = await embeddedHub(sim);
    await ready(first, sim);
    await call(first, true);
    await shows(sim, 'Busy/InACall');
    await first.close(); // the session stays in Teams; the embedded state is gone with the process
    hubs = hubs.filter((h) => h !== first);
    const second = await embeddedHub(sim);
    // Nothing known: the start-up reconcile clears the session the first hub left.
    await shows(sim, 'Available/Available');
    await ready(second, sim);
    // The PBX reports the call again (its collector re-subscribes), then the call ends.
    await call(second, true);
    await shows(sim, 'Busy/InACall');
    await call(second, false);
    await shows(sim, 'Available/Available');
    await new Promise((r) => setTimeout(r, 1500));
    expect(teams(sim)).toBe('Available/Available');
    expect((await second.hub.presence(['alice']))[0]).toMatchObject({ class: 'available' });
  });
});

describe('Teams after a restart and a lease handover (Redis mode)', () => {
  it('a hub restart mid-call: the call is not written again, its end is cleared (2 writes for the call)', async () => {
    const { sim } = await graph();
    const prefix = freshPrefix('teams-truth');
    const first = await redisHub(sim, prefix, 'node-a');
    await ready(first, sim);
    const from = sim.presenceWrites.length;
    await call(first, true);
    await shows(sim, 'Busy/InACall');
    await first.close();
    hubs = hubs.filter((h) => h !== first);
    const second = await redisHub(sim, prefix, 'node-a');
    await ready(second, sim);
    await new Promise((r) => setTimeout(r, 1500));
    expect(teams(sim)).toBe('Busy/InACall');
    await call(second, false);
    await shows(sim, 'Available/Available');
    await new Promise((r) => setTimeout(r, 1500));
    expect(writesSince(sim, from)).toEqual(['setPresence', 'clearPresence']);
    expect((await second.hub.presence(['alice']))[0]).toMatchObject({ class: 'available' });
  }, 30_000);

  it('a lease handover: the call ends while its node is gone, the node taking over clears it', async () => {
    const { sim } = await graph();
    const prefix = freshPrefix('teams-handover');
    const a = await redisHub(sim, prefix, 'node-a');
    const b = await redisHub(sim, prefix, 'node-b');
    const holder = async () => ((await a.hub.connectorNode('teams')) === 'node-a' ? [a, b] : [b, a]) as [TestHub, TestHub];
    let t0 = Date.now();
    while ((await a.hub.connectorNode('teams')) === undefined && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 50));
    const [owner, other] = await holder();
    await ready(owner, sim);
    await call(owner, true);
    await shows(sim, 'Busy/InACall');
    await owner.close();
    hubs = hubs.filter((h) => h !== owner);
    await call(other, false); // while no node, or the new one, runs the connector
    t0 = Date.now();
    await shows(sim, 'Available/Available', 8000);
    expect(Date.now() - t0).toBeLessThan(8000);
    await new Promise((r) => setTimeout(r, 1500));
    expect(teams(sim)).toBe('Available/Available');
    expect((await other.hub.presence(['alice']))[0]).toMatchObject({ class: 'available' });
  }, 30_000);
});
