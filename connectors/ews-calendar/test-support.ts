import { connectorHarness } from '../../test/support/connector-harness.ts';
import { stopAfterEach } from '../../test/support/stop-after-each.ts';
import { ewsCalendarConfigSchema, type EwsCalendarConfig } from './config.ts';
import { EwsCalendarConnector } from './connector.ts';
import { EwsSimulator } from './simulator.ts';

/** The service account the simulator accepts (Basic). */
export const BASIC = { username: 'svc-presence', password: 'ews-secret' };

/**
 * For a test file (call once, at module level): `setup(n, extra, simOpts, place)` makes a simulator
 * with mailboxes user0..user{n-1}@corp.example (placed on the server `place(i)` names, if given), a
 * harness whose directory knows them and a connector (not started) with Basic auth, hourly polls and
 * `extra`; after each case, the connectors and then the simulators are stopped.
 */
export function ewsCases() {
  const stop = stopAfterEach<EwsCalendarConnector, EwsSimulator>();
  return {
    ...stop,
    async setup(n: number, extra: Record<string, unknown> = {}, simOpts: ConstructorParameters<typeof EwsSimulator>[0] = {}, place?: (i: number) => string) {
      const sim = stop.simulator(new EwsSimulator({ basic: BASIC, ...simOpts }));
      await sim.start();
      const people = [];
      for (let i = 0; i < n; i++) {
        sim.addMailbox(`user${i}@corp.example`);
        if (place !== undefined) sim.placeMailbox(`user${i}@corp.example`, place(i));
        people.push({ id: `user${i}`, identities: [`mailto:user${i}@corp.example`] });
      }
      const config = ewsCalendarConfigSchema.parse({ url: sim.url, auth: { type: 'basic', ...BASIC }, pollInterval: '1h', ...extra });
      const h = connectorHarness<EwsCalendarConfig>({ id: 'exchange', config, people });
      const c = stop.connector(new EwsCalendarConnector(h.ctx));
      return { sim, h, c };
    },
  };
}
