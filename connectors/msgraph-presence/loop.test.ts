import { describe, expect, it } from 'vitest';
import type { Presence } from '../../core/model/presence.ts';
import { guid, miniHub, pollAndPublish, stopAfterEach } from './test-support.ts';

const t = stopAfterEach();
const PUBLISHING = { poll: { interval: '1h' }, publish: { enabled: true, minInterval: 0 } };

describe('msgraph-presence: no loops between reading and writing Teams (docs/architecture.md invariant 4)', () => {
  it('a phone call shows Busy/InACall in Teams and Teams returns to the real state within one cycle after it', async () => {
    const { sim, h, c } = await t.started(1, PUBLISHING);
    const hub = miniHub('user0');
    const cycle = () => pollAndPublish(c, h, hub);
    for (const s of h.signals) hub.put(s);
    await h.publish([hub.judge()!]);
    const teams = () => sim.presence.snapshot(sim.presence.users.get(guid(0))!);
    expect(teams()).toMatchObject({ availability: 'Available', activity: 'Available' });

    // A phone call from the PBX (any source).
    hub.put({ person: 'user0', source: 'pbx', endpoint: 'line-1', category: 'phone', availability: 6500, activity: 'on-the-phone' });
    await h.publish([hub.judge()!]);
    expect(teams()).toMatchObject({ availability: 'Busy', activity: 'InACall' });
    // Teams reports Busy/InACall back: the hub's own write, not an independent signal.
    for (let i = 0; i < 3; i++) await cycle();
    expect(h.signals.filter((s) => s.availability === 6500)).toHaveLength(0);
    expect(h.ctx.config.publish.enabled).toBe(true);

    // The call ends.
    hub.put({ person: 'user0', source: 'pbx', endpoint: 'line-1', category: 'phone', availability: 3500 });
    await h.publish([hub.judge()!]);
    await cycle();
    expect(teams()).toMatchObject({ availability: 'Available', activity: 'Available' });
    const writes = sim.requests.filter((r) => /setPresence|clearPresence/.test(r.path));
    // The first clear is the start-up reconcile (no record of what a previous run left in Teams).
    expect(writes.map((r) => r.path.split('/').pop())).toEqual(['clearPresence', 'setPresence', 'clearPresence']);
    // Quiet: further cycles write nothing (no ping-pong).
    for (let i = 0; i < 3; i++) await cycle();
    expect(sim.requests.filter((r) => /setPresence|clearPresence/.test(r.path))).toHaveLength(3);
  });

  it('a call made in Teams itself is never written back, so it cannot outlive the call (no ghost presence)', async () => {
    const { sim, h, c } = await t.started(1, PUBLISHING);
    const hub = miniHub('user0');
    const cycle = () => pollAndPublish(c, h, hub);
    for (const s of h.signals) hub.put(s);
    sim.presence.setClient(guid(0), { availability: 'Busy', activity: 'InACall' });
    await cycle();
    expect(h.signals.at(-1)).toMatchObject({ availability: 6500, activity: 'on-the-phone' });
    expect(sim.requests.filter((r) => r.path.endsWith('/setPresence'))).toHaveLength(0);
    expect(c.explainTeams(guid(0))).toMatch(/does not (echo|write it back)/);
    sim.presence.setClient(guid(0), { availability: 'Available', activity: 'Available' });
    await cycle();
    expect(h.signals.at(-1)).toMatchObject({ availability: 3500 });
    expect(sim.presence.snapshot(sim.presence.users.get(guid(0))!)).toMatchObject({ availability: 'Available' });
  });

  it('never writes back a presence that Teams itself decided, even while the hub holds a session', async () => {
    const { sim, h, c } = await t.started(1, PUBLISHING);
    const busy = (decidedBy: string, version: number): Presence => ({
      person: 'user0',
      availability: 6500,
      class: 'busy',
      activity: { token: 'on-the-phone', text: 'In a call' },
      decidedBy,
      since: Date.now(),
      version,
    });
    // A PBX call: the hub holds a Busy/InACall session in Teams.
    const before = sim.requests.length;
    await h.publish([busy('pbx', 1)]);
    const writes = () => sim.requests.slice(before).filter((r) => /setPresence|clearPresence/.test(r.path)).map((r) => r.path.split('/').pop());
    expect(writes()).toEqual(['setPresence']);
    // The same state, now decided by what Teams reported: keeping the session would pin Teams'
    // own state there and hide the user's next change behind it (a ghost that feeds itself).
    await h.publish([busy(h.ctx.id, 2)]);
    expect(writes()).toEqual(['setPresence', 'clearPresence']);
    expect(c.explainTeams(guid(0))).toMatch(/Teams itself decided/);
  });

  it('explains what Teams cannot show (In a meeting) and leaves it to Teams', async () => {
    const { sim, h, c } = await t.started(1, PUBLISHING);
    await h.publish([{ person: 'user0', availability: 6500, class: 'busy', activity: { token: 'in-a-meeting', text: 'In a meeting' }, since: 0, version: 1 }]);
    expect(c.explainTeams(guid(0))).toContain('an app cannot set it');
    expect(sim.requests.filter((r) => r.path.endsWith('/setPresence'))).toHaveLength(0);
  });
});
