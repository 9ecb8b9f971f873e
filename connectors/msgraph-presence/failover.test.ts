import { describe, expect, it } from 'vitest';
import { memoryConnectorStore } from '../../core/pipeline/embedded/connector-store.ts';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import { MsGraphPresenceConnector } from './connector.ts';
import type { PresenceConfig } from './config.ts';
import { guid, miniHub, pollAndPublish, stopAfterEach } from './test-support.ts';

const t = stopAfterEach();

describe('msgraph-presence: the loop guard survives the connector moving to another node (docs/architecture.md invariant 4)', () => {
  it('node B, taking over while the hub session shows Busy/InACall, drops it as an echo and clears it when the call ends', async () => {
    const state = memoryConnectorStore(); // the shared connector state (a Redis hash in Redis mode)
    const cfg = { poll: { interval: '1h' }, publish: { enabled: true, minInterval: 0 } };
    const { sim, config } = await t.setup(1, cfg);
    const people = [{ id: 'user0', identities: [`entra:${guid(0)}`, 'mailto:user0@corp.example'] }];
    const hubA = connectorHarness<PresenceConfig>({ id: 'teams', config, people, state });
    const hub = miniHub('user0');
    const teams = () => sim.presence.snapshot(sim.presence.users.get(guid(0))!);
    const writes = () => sim.requests.filter((r) => /setPresence|clearPresence/.test(r.path)).map((r) => r.path.split('/').pop());

    // Node A: reads Available, then a PBX call is written into Teams as Busy/InACall.
    const a = t.connector(new MsGraphPresenceConnector(hubA.ctx));
    await a.start();
    await a.firstCycle();
    for (const s of hubA.signals) hub.put(s);
    await hubA.publish([hub.judge()!]);
    hub.put({ person: 'user0', source: 'pbx', endpoint: 'line-1', category: 'phone', availability: 6500, activity: 'on-the-phone' });
    await hubA.publish([hub.judge()!]);
    expect(teams()).toMatchObject({ availability: 'Busy', activity: 'InACall' });
    // The clear: A's start-up reconcile, with no record of what an earlier run left in Teams.
    expect(writes()).toEqual(['clearPresence', 'setPresence']);

    // Node A dies. Its stop does not clear sessions (they are left to expire), so stopping it is a kill
    // as far as Teams is concerned; what it kept in memory is gone with the instance.
    await a.stop();
    t.forget(a);
    expect(teams()).toMatchObject({ availability: 'Busy', activity: 'InACall' });

    // Node B takes the connector over: a new instance with the same shared state.
    const hubB = connectorHarness<PresenceConfig>({ id: 'teams', config, people, state });
    const b = t.connector(new MsGraphPresenceConnector(hubB.ctx));
    const cycleB = () => pollAndPublish(b, hubB, hub);
    await b.start();
    await b.firstCycle();
    for (const s of hubB.signals) hub.put(s);
    for (let i = 0; i < 2; i++) await cycleB();
    // Teams shows the hub's own Busy/InACall: not a signal of the user's.
    expect(hubB.signals.filter((s) => Number(s.availability) >= 6000)).toEqual([]);

    // The call ends: B clears the session it did not write itself.
    hub.put({ person: 'user0', source: 'pbx', endpoint: 'line-1', category: 'phone', availability: 3500 });
    const p = hub.judge();
    expect(p?.class).toBe('available');
    await hubB.publish([p!]);
    // B found A's record in the shared state: no clear at its start, the one clear when the call ended.
    expect(writes()).toEqual(['clearPresence', 'setPresence', 'clearPresence']);
    await cycleB();
    expect(teams()).toMatchObject({ availability: 'Available', activity: 'Available' });
    // Quiet afterwards: no ping-pong, and the person is not stuck busy.
    for (let i = 0; i < 3; i++) await cycleB();
    expect(writes()).toEqual(['clearPresence', 'setPresence', 'clearPresence']);
    expect(hubB.signals.filter((s) => Number(s.availability) >= 6000)).toEqual([]);
    expect(hub.judge()).toBeUndefined(); // unchanged: still available
  });
});
