/**
 * Shared by the sip-presence tests and the hostile-XML security tests: a simulated presence server
 * and a phone registered on it (simulator.ts), started before the calling describe block's tests and
 * closed after them.
 */
import { afterAll, beforeAll } from 'vitest';
import type { Logger } from '../../core/util/logger.ts';
import { SimPhone, SimPresenceServer } from './simulator.ts';

export function simulatedServerAndPhone(log: Logger): { readonly server: SimPresenceServer; readonly phone: SimPhone } {
  const sim = {} as { server: SimPresenceServer; phone: SimPhone };
  beforeAll(async () => {
    sim.server = await SimPresenceServer.start({ log });
    sim.phone = await SimPhone.start({ server: sim.server.uri(), log });
  });
  afterAll(async () => {
    await sim.phone.close();
    await sim.server.close();
  });
  return sim;
}
