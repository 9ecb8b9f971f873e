import type { Clock } from '../../core/util/clock.ts';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import { stopAfterEach } from '../../test/support/stop-after-each.ts';
import { GraphSimulator } from '../msgraph-shared/simulator.ts';
import { calendarConfigSchema, type CalendarConfig } from './config.ts';
import { MsGraphCalendarConnector } from './connector.ts';

export const APP = { clientId: '11111111-2222-3333-4444-555555555555', clientSecret: 'calendar-secret' };
/** The Entra object id of the simulator's user `i`. */
export const id = (i: number): string => `00000000-0000-4000-9000-${String(i).padStart(12, '0')}`;

/**
 * For a test file (call once, at module level): `setup(n, extra, clock)` makes a simulator with `n`
 * users, a harness whose directory knows them (by mail address) and a connector (not started) with
 * the configuration plus `extra`; after each case, the connectors and then the simulators are stopped.
 */
export function calendarCases() {
  const stop = stopAfterEach<MsGraphCalendarConnector, GraphSimulator>();
  return {
    ...stop,
    async setup(n: number, extra: Record<string, unknown> = {}, clock?: Clock) {
      const sim = stop.simulator(new GraphSimulator());
      sim.addApp(APP);
      await sim.start();
      const people = [];
      for (let i = 0; i < n; i++) {
        sim.presence.addUser({ id: id(i), upn: `user${i}@corp.example` });
        people.push({ id: `user${i}`, identities: [`mailto:user${i}@corp.example`] });
      }
      const config = calendarConfigSchema.parse({ tenantId: sim.tenantId, clientId: APP.clientId, clientSecret: APP.clientSecret, graphBaseUrl: sim.url, tokenEndpoint: sim.tokenEndpoint(), interval: '1h', ...extra });
      const h = connectorHarness<CalendarConfig>({ id: 'exchange', config, people, ...(clock !== undefined ? { clock } : {}) });
      const c = stop.connector(new MsGraphCalendarConnector(h.ctx));
      return { sim, h, c };
    },
  };
}
