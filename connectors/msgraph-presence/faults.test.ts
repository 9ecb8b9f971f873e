/**
 * Upstream and hub faults the soak run (scripts/soak.ts) plays, at the connector's scale: a Graph
 * that never answers, answers 5xx or drops the connection; a hub that cannot take a signal; two
 * changes while a write is in flight.
 */
import { describe, expect, it } from 'vitest';
import type { ConnectorContext } from '../../core/connector/contract.ts';
import type { Presence } from '../../core/model/presence.ts';
import { HubError } from '../../core/errors.ts';
import type { GraphFault } from '../msgraph-shared/simulator.ts';
import type { PresenceConfig } from './config.ts';
import { MsGraphPresenceConnector } from './connector.ts';
import { guid, stopAfterEach } from './test-support.ts';

const t = stopAfterEach();

/**
 * The connector's requestTimeout here: short enough that the hang case is quick, long enough that a
 * healthy request to the simulator on a loaded machine never runs into it (a cycle that fails by a
 * spurious timeout would fail the other cases).
 */
const REQUEST_TIMEOUT_MS = 2000;

const connector = (n: number, config: Record<string, unknown> = {}) => t.started(n, { poll: { interval: '1h' }, requestTimeout: `${REQUEST_TIMEOUT_MS}ms`, ...config });

describe('msgraph-presence under upstream faults', () => {
  const cases: [string, GraphFault][] = [
    ['a request that never answers times out', { kind: 'hang' }],
    ['a 500 fails the cycle', { kind: 'status', status: 500 }],
    ['a dropped connection fails the cycle', { kind: 'drop' }],
  ];
  it.each(cases)('%s as transient, and the next cycle reads again', async (_name, fault) => {
    const { sim, h, c } = await connector(3);
    expect(h.signals).toHaveLength(3);
    // The errors of this cycle (the first one, before the fault, reported none).
    expect(h.errors).toEqual([]);
    sim.injectFault(fault);
    const t0 = Date.now();
    await c.runCycle(false);
    const took = Date.now() - t0;
    expect(h.errors).toHaveLength(1);
    expect(h.errors[0]).toBeInstanceOf(HubError);
    expect(h.errors[0]).toMatchObject({ code: 'HUB_ERR_GRAPH_UNREACHABLE', kind: 'transient' });
    if (fault.kind === 'hang') {
      // The upstream never answers (the simulator holds the request until stop()), so the cycle
      // ended only because the request's own deadline passed (the SDK: "aborted due to timeout"), and it ended no earlier
      // than requestTimeout (load can only make it later; 50 ms for timer granularity).
      expect((h.errors[0] as Error).message).toMatch(/timeout/i);
      expect(took).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 50);
    } else {
      // A 500 or a dropped connection fails the cycle at once, without waiting out the timeout.
      expect((h.errors[0] as Error).message).not.toMatch(/timeout/i);
    }
    sim.clearFault();
    sim.presence.setClient(guid(1), { availability: 'Busy', activity: 'InACall' });
    await c.runCycle(false);
    expect(h.signals.at(-1)).toMatchObject({ person: 'user1', availability: 6500 });
  });

  it('a 503 with Retry-After is waited out and the same cycle completes', async () => {
    const { sim, h, c } = await connector(2);
    sim.injectFault({ kind: 'status', status: 503, retryAfterSeconds: 0 }, 2);
    sim.presence.setClient(guid(0), { availability: 'Away', activity: 'Away' });
    await c.runCycle(false);
    expect(h.signals.at(-1)).toMatchObject({ person: 'user0', availability: 15500 });
    expect(sim.requests.filter((r) => r.status === 503)).toHaveLength(2);
  });

  it('a reading the hub could not take (503 from the hub) is emitted again by the next poll', async () => {
    const { sim, h, c } = await connector(2);
    const ctx = h.ctx as { emit: ConnectorContext<PresenceConfig>['emit'] };
    const emit = ctx.emit;
    ctx.emit = async () => {
      throw new HubError('HUB_ERR_UNAVAILABLE', 'the hub cannot queue signals durably right now', { kind: 'transient', status: 503 });
    };
    sim.presence.setClient(guid(1), { availability: 'DoNotDisturb', activity: 'Presenting' });
    await c.runCycle(false);
    const before = h.signals.length;
    ctx.emit = emit;
    await c.runCycle(false);
    expect(h.signals.length).toBe(before + 1);
    expect(h.signals.at(-1)).toMatchObject({ person: 'user1', availability: 9500 });
  });

  it('changes arriving while a write is in flight do not write the same state twice', async () => {
    const { sim, h, c } = await connector(1, { publish: { enabled: true, minInterval: 0 } });
    const busy = (version: number): Presence => ({ person: 'user0', availability: 6500, class: 'busy', activity: { token: 'on-the-phone', text: 'On the phone' }, since: Date.now(), version });
    await Promise.all([h.publish([busy(1)]), h.publish([busy(2)]), h.publish([busy(3)])]);
    const writes = sim.presenceWrites.filter((w) => w.action === 'setPresence');
    expect(writes).toHaveLength(1);
    expect(writes[0]).toMatchObject({ user: guid(0), availability: 'Busy', activity: 'InACall' });
  });
});
