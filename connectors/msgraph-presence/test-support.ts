import type { Presence } from '../../core/model/presence.ts';
import type { Register } from '../../core/model/register.ts';
import { judgeIncoming, registerOf } from '../../core/model/register.ts';
import { registerKey, type SignalInput } from '../../core/model/signal.ts';
import { normalize } from '../../core/manager/ingest.ts';
import { draftOf } from '../../core/manager/presence-manager.ts';
import { fingerprint } from '../../core/pipeline/fingerprint.ts';
import { aggregate } from '../../core/rules/aggregate.ts';
import { DEFAULT_RULES } from '../../core/rules/rules-config.ts';
import type { Clock } from '../../core/util/clock.ts';
import { connectorHarness, type Harness } from '../../test/support/connector-harness.ts';
import { GraphSimulator } from '../msgraph-shared/simulator.ts';
import { presenceConfigSchema, type PresenceConfig } from './config.ts';
import { MsGraphPresenceConnector } from './connector.ts';
import { until } from '../../test/support/wait.ts';
import { stopAfterEach as stopAll } from '../../test/support/stop-after-each.ts';

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
 * For a test file (call once, at module level): after each case, stops every connector and then every
 * simulator the case handed over. `setup()` and `started()` hand theirs over themselves.
 */
export function stopAfterEach() {
  const stop = stopAll<MsGraphPresenceConnector, GraphSimulator>();
  const tracked = {
    ...stop,
    /** `setup()`, its simulator stopped after the case. */
    async setup(...args: Parameters<typeof setup>): ReturnType<typeof setup> {
      const s = await setup(...args);
      stop.simulator(s.sim);
      return s;
    },
    /** A connector on a simulator of `people` users, started, its first cycle done; both stopped after the case. */
    async started(people: number, config: Record<string, unknown> = {}): Promise<Awaited<ReturnType<typeof setup>> & { c: MsGraphPresenceConnector }> {
      const s = await tracked.setup(people, config);
      const c = stop.connector(new MsGraphPresenceConnector(s.h.ctx));
      await c.start();
      await c.firstCycle();
      return { ...s, c };
    },
  };
  return tracked;
}

/**
 * A miniature of the hub around the connector, for one person: every signal becomes a register as
 * the store makes it (normalize, judgeIncoming, registerOf with a store stamp), the real
 * `aggregate()` with the default rules judges, and a change is handed back only when the judgement
 * changed (the manager's draft fingerprint). Enough to close the loop without a pipeline.
 */
export function miniHub(person: string) {
  const registers = new Map<string, Register>();
  let version = 0;
  let stamp = 0;
  let last: string | undefined;
  const now = (): number => (stamp = Math.max(stamp + 1, Date.now()));
  return {
    put(input: SignalInput) {
      const s = normalize(input, person, Date.now());
      const key = registerKey(s);
      if (judgeIncoming(registers.get(key), s) === 'applied') registers.set(key, registerOf(s, now()));
    },
    judge(): Presence | undefined {
      const at = now();
      const draft = draftOf(person, aggregate([...registers.values()], at, DEFAULT_RULES));
      const fp = fingerprint(draft);
      if (fp === last) return undefined;
      last = fp;
      return { ...draft, since: at, version: ++version };
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
