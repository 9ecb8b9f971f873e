import { connectorHarness, type Harness } from '../../test/support/connector-harness.ts';
import { GraphSimulator } from '../msgraph-shared/simulator.ts';
import { presenceConfigSchema, type PresenceConfig } from './config.ts';

export const APP = { clientId: '22553876-f5ab-4529-bffb-cfe50aa89f87', clientSecret: 'sim-secret-value' };
export const guid = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** A simulator with `n` users (Teams client Available) and a harness whose directory knows them. */
export async function setup(n: number, config: Record<string, unknown> = {}): Promise<{ sim: GraphSimulator; h: Harness<PresenceConfig>; config: PresenceConfig }> {
  const sim = new GraphSimulator();
  sim.addApp(APP);
  await sim.start();
  const people = [];
  for (let i = 0; i < n; i++) {
    sim.presence.addUser({ id: guid(i), upn: `user${i}@corp.example`, client: { availability: 'Available', activity: 'Available' } });
    people.push({ id: `user${i}`, identities: [`entra:${guid(i)}`, `mailto:user${i}@corp.example`] });
  }
  const parsed = presenceConfigSchema.parse({ tenantId: sim.tenantId, clientId: APP.clientId, clientSecret: APP.clientSecret, graphBaseUrl: sim.url, tokenEndpoint: sim.tokenEndpoint(), ...config });
  const h = connectorHarness<PresenceConfig>({ id: 'teams', config: parsed, people });
  return { sim, h, config: parsed };
}

export async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
