/**
 * A stop while Graph has paused the app (429 Retry-After): the requests waiting in the pacer are
 * refused, never sent, the stop does not wait for the pause to end, and the refusal is no failure
 * (neither logged as one nor in health).
 */
import { describe, expect, it } from 'vitest';
import type { Logger } from '../../core/util/logger.ts';
import { capturingLogger } from '../../test/support/log-capture.ts';
import { until } from '../../test/support/wait.ts';
import { msgraphPresenceManifest } from './manifest.ts';
import { MsGraphPresenceConnector } from './connector.ts';
import { guid, stopAfterEach } from './test-support.ts';

const t = stopAfterEach();

describe('msgraph-presence stopping while Graph has paused the app', () => {
  it('refuses the polls waiting out the Retry-After, sends none of them, and stops without waiting for the pause', async () => {
    const { sim, h } = await t.setup(3, { poll: { interval: '50ms' } });
    const { log, lines } = capturingLogger();
    (h.ctx as { log: Logger }).log = log;
    const c = new MsGraphPresenceConnector(h.ctx);
    const sup = h.supervisor(msgraphPresenceManifest, c);
    await sup.start();
    await c.firstCycle();
    // 15 minutes: beyond the longest wait in line (120 s), so that poll fails as throttled and every later one waits in the pacer.
    sim.throttle(1, 900);
    await until('a poll waits in the pacer for the pause to end', () => c.requestsWaiting > 0);
    expect(sup.health().lastError).toMatchObject({ code: 'HUB_ERR_GRAPH_THROTTLED' });
    const sent = sim.requests.length;
    const logged = lines.length;
    await sup.stop();
    expect(sup.health()).toMatchObject({ state: 'stopped', lastError: { code: 'HUB_ERR_GRAPH_THROTTLED' } });
    expect(c.requestsWaiting).toBe(0);
    // Nothing was sent for the refused polls (the simulator records every Graph request it receives).
    expect(sim.requests.slice(sent).filter((r) => r.path === '/communications/getPresencesByUserId')).toEqual([]);
    const after = lines.slice(logged).map((l) => l.raw);
    expect(after.filter((l) => /stopping|HUB_ERR_CONNECTOR_STOPPED|poll batch failed/.test(l))).toEqual([]);
  });

  it('a connector started again after a stop waits out a Retry-After as before (the supervisor restarts the same instance)', async () => {
    const { sim, h } = await t.setup(2, { poll: { interval: '1h' } });
    const c = t.connector(new MsGraphPresenceConnector(h.ctx));
    await c.start();
    await c.firstCycle();
    await c.stop();
    sim.presence.setClient(guid(1), { availability: 'Busy', activity: 'InACall' });
    sim.throttle(1, 1); // the first poll of the new run is answered 429, Retry-After 1 s: it waits and is sent again
    await c.start();
    await c.firstCycle();
    expect(h.signals.at(-1)).toMatchObject({ person: 'user1', activity: 'on-the-phone' });
    expect(sim.requests.filter((r) => r.path === '/communications/getPresencesByUserId').map((r) => r.status)).toEqual([200, 429, 200]);
  });
});
