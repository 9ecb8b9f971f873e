import { CLASS_LABEL, classOf } from '../../core/model/availability.ts';
import type { Presence } from '../../core/model/presence.ts';
import type { SignalInput } from '../../core/model/signal.ts';
import type { Clock } from '../../core/util/clock.ts';
import { connectorHarness, type Harness } from '../../test/support/connector-harness.ts';
import { GraphSimulator } from '../msgraph-shared/simulator.ts';
import { presenceConfigSchema, type PresenceConfig } from './config.ts';
import type { MsGraphPresenceConnector } from './connector.ts';
import { until } from '../../test/support/wait.ts';

export const APP = { clientId: '22553876-f5ab-4529-bffb-cfe50aa89f87', clientSecret: 'sim-secret-value' };
export const guid = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;

/** A simulator with `n` users (Teams client Available) and a harness whose directory knows them. */
export async function setup(n: number, config: Record<string, unknown> = {}, clock?: Clock): Promise<{ sim: GraphSimulator; h: Harness<PresenceConfig>; config: PresenceConfig }> {
  const sim = new GraphSimulator();
  sim.addApp(APP);
  await sim.start();
  const people = [];
  for (let i = 0; i < n; i++) {
    sim.presence.addUser({ id: guid(i), upn: `user${i}@corp.example`, client: { availability: 'Available', activity: 'Available' } });
    people.push({ id: `user${i}`, identities: [`entra:${guid(i)}`, `mailto:user${i}@corp.example`] });
  }
  const parsed = presenceConfigSchema.parse({ tenantId: sim.tenantId, clientId: APP.clientId, clientSecret: APP.clientSecret, graphBaseUrl: sim.url, tokenEndpoint: sim.tokenEndpoint(), ...config });
  const h = connectorHarness<PresenceConfig>({ id: 'teams', config: parsed, people, ...(clock !== undefined ? { clock } : {}) });
  return { sim, h, config: parsed };
}

/**
 * A miniature of the hub around the connector: the latest signal per source endpoint (registers),
 * the least available wins, and every change is published back. Enough to close the loop.
 */
export function miniHub(person: string) {
  const registers = new Map<string, SignalInput>();
  let version = 0;
  let last: Presence | undefined;
  return {
    put(s: SignalInput) {
      // Re-inserted so that the Map's order is the publication order (the latest wins a tie).
      registers.delete(`${s.source}/${s.endpoint}`);
      registers.set(`${s.source}/${s.endpoint}`, s);
    },
    judge(): Presence | undefined {
      let best: SignalInput | undefined;
      for (const s of registers.values()) if (best === undefined || Number(s.availability) >= Number(best.availability)) best = s;
      if (best === undefined) return undefined;
      const cls = classOf(Number(best.availability));
      const token = typeof best.activity === 'string' ? best.activity : (best.activity?.token ?? cls);
      const p: Presence = { person, availability: Number(best.availability), class: cls, activity: { token, text: CLASS_LABEL[cls] }, decidedBy: best.source, since: Date.now(), version: ++version };
      if (last !== undefined && last.class === p.class && last.activity.token === p.activity.token && last.decidedBy === p.decidedBy) return undefined;
      last = p;
      return p;
    },
  };
}

/** One poll cycle of the connector, its signals into the miniature hub, the judgement published back. */
export async function pollAndPublish(c: MsGraphPresenceConnector, h: Harness<PresenceConfig>, hub: ReturnType<typeof miniHub>): Promise<void> {
  const n = h.signals.length;
  await c.runCycle(false);
  for (const s of h.signals.slice(n)) hub.put(s);
  const p = hub.judge();
  if (p !== undefined) await h.publish([p]);
}
