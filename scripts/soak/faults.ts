/**
 * The faults of the soak, one after the other while the load runs, each followed by a recovery
 * check: every affected connector must be `running` again on some node with a lastSuccess later
 * than the end of the fault (GET /v1/connectors on the node that holds its lease).
 */
import type { GraphFault } from '../../connectors/msgraph-shared/simulator.ts';
import type { RedisPeer } from '../../test/support/peers/redis.ts';
import { getJson, type HubNode } from './cluster.ts';
import type { Upstreams } from './upstreams.ts';

export const CONNECTORS = ['teams', 'pbx', 'ldap'] as const;

interface ConnectorJson {
  id: string;
  state: string;
  node: string | null;
  lastSuccess: string | null;
  lastError: { code: string; at: string } | null;
  counts: Record<string, number>;
}

export interface FaultRecord {
  name: string;
  /** Seconds the fault lasted. */
  heldS: number;
  /** Per affected connector: seconds from the end of the fault to recovered, null if it did not. */
  recover: Record<string, number | null>;
  /** Did the affected connectors report an error during the fault (upstream faults only)? */
  observed?: boolean;
  /** Node SIGKILL: seconds until every batch in hand at the kill was applied (null: not within 60 s). */
  queuedRecoverS?: number | null;
  /** Node SIGKILL: batches in hand at the kill. */
  heldJobs?: number;
  /** Node SIGKILL: seconds until every connector the dead node held runs on another node. */
  leaseTakeoverS?: number | null;
  /** Node SIGKILL: connectors the node held at the kill. */
  heldConnectors?: number;
}

export interface FaultDeps {
  nodes: readonly HubNode[];
  redis: RedisPeer;
  up: Upstreams;
  key: string;
  /** Seconds an outage lasts. */
  outageS: number;
  recoverTimeoutS: number;
  /** Sends the meeting-boundary storm with windows starting at `from` (ms). */
  storm: (from: number, until: number) => Promise<void>;
  /** Posts a burst of signals to one node and resolves once it answered (the failover probe). */
  burst: (url: string) => Promise<void>;
  /** Ids of the batches workers hold now (BullMQ active list). */
  activeJobs: () => Promise<string[]>;
  /** True once none of these batches is queued or in hand any more (applied and removed). */
  jobsGone: (ids: readonly string[]) => Promise<boolean>;
  log: (line: string) => void;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Each connector as seen by the node that runs it (its own supervisor's view). */
export async function connectorStates(nodes: readonly HubNode[], key: string): Promise<Map<string, ConnectorJson>> {
  const out = new Map<string, ConnectorJson>();
  await Promise.all(
    nodes
      .filter((n) => n.alive && !n.paused)
      .map(async (n) => {
        const body = await getJson<{ connectors: ConnectorJson[] }>(`${n.url}/v1/connectors`, key);
        for (const c of body?.connectors ?? []) if (c.node === n.id) out.set(c.id, c);
      }),
  );
  return out;
}

/** Waits until every connector in `ids` runs with a success after `since`; seconds per connector, null when it did not. */
export async function waitRecovered(d: Pick<FaultDeps, 'nodes' | 'key'>, ids: readonly string[], since: number, timeoutS: number): Promise<Record<string, number | null>> {
  const res: Record<string, number | null> = {};
  const deadline = since + timeoutS * 1000;
  while (Object.keys(res).length < ids.length && Date.now() < deadline) {
    const states = await connectorStates(d.nodes, d.key);
    const now = Date.now();
    for (const id of ids) {
      if (id in res) continue;
      const c = states.get(id);
      if (c !== undefined && c.state === 'running' && c.lastSuccess !== null && Date.parse(c.lastSuccess) > since) res[id] = (now - since) / 1000;
    }
    await sleep(250);
  }
  for (const id of ids) if (!(id in res)) res[id] = null;
  return res;
}

/** Errors and throttled answers a connector counted so far (on the node running it). */
async function troubles(d: FaultDeps, id: string): Promise<number> {
  const c = (await connectorStates(d.nodes, d.key)).get(id);
  return (c?.counts.errors ?? 0) + (c?.counts.throttled ?? 0);
}

/** `run` returns when the fault is over; `after` runs once the connectors recovered (a killed node comes back). */
async function hubFault(d: FaultDeps, name: string, run: () => Promise<void>, after?: () => Promise<void>): Promise<FaultRecord> {
  const t0 = Date.now();
  // Storm: a window for half the people opening 1.5 s into the fault.
  await d.storm(t0 + 1500, t0 + 1500 + 12_000);
  d.log(`fault ${name}: start`);
  await run();
  const end = Date.now();
  const recover = await waitRecovered(d, CONNECTORS, end, d.recoverTimeoutS);
  await after?.();
  d.log(`fault ${name}: over after ${((end - t0) / 1000).toFixed(1)} s; recovery ${JSON.stringify(recover)}`);
  return { name, heldS: (end - t0) / 1000, recover };
}

async function upstreamFault(d: FaultDeps, name: string, connector: string, start: () => Promise<void> | void, stop: () => Promise<void> | void): Promise<FaultRecord> {
  const t0 = Date.now();
  const before = await troubles(d, connector);
  d.log(`fault ${name}: start`);
  await start();
  await sleep(d.outageS * 1000);
  const observed = (await troubles(d, connector)) > before;
  await stop();
  const end = Date.now();
  const recover = await waitRecovered(d, [connector], end, d.recoverTimeoutS);
  d.log(`fault ${name}: over after ${((end - t0) / 1000).toFixed(1)} s; error seen: ${observed}; recovery ${JSON.stringify(recover)}`);
  return { name, heldS: (end - t0) / 1000, recover, observed };
}

/** Seconds from the kill until the batches in hand are applied, and until the dead node's connectors run elsewhere. */
async function measureKill(d: FaultDeps, victim: HubNode, held: readonly string[], jobs: readonly string[], killedAt: number): Promise<Pick<FaultRecord, 'queuedRecoverS' | 'heldJobs' | 'leaseTakeoverS' | 'heldConnectors'>> {
  const deadline = killedAt + 60_000;
  const secs = (): number => (Date.now() - killedAt) / 1000;
  const queued = (async () => {
    while (Date.now() < deadline) {
      if (await d.jobsGone(jobs).catch(() => false)) return secs();
      await sleep(50);
    }
    return null;
  })();
  const lease = (async () => {
    while (Date.now() < deadline) {
      const states = await connectorStates(d.nodes, d.key).catch(() => new Map<string, ConnectorJson>());
      if (held.every((id) => { const c = states.get(id); return c !== undefined && c.state === 'running' && c.node !== victim.id; })) return secs();
      await sleep(50);
    }
    return null;
  })();
  const [queuedRecoverS, leaseTakeoverS] = await Promise.all([queued, lease]);
  return { queuedRecoverS, heldJobs: jobs.length, leaseTakeoverS, heldConnectors: held.length };
}

/** Runs every fault in sequence; returns their records. */
export async function runFaults(d: FaultDeps): Promise<FaultRecord[]> {
  const out: FaultRecord[] = [];
  const a = d.nodes[0]!;
  // The node that runs Teams is the one to kill: its leases must move.
  const holder = async (): Promise<HubNode> => {
    const node = (await connectorStates(d.nodes, d.key)).get('teams')?.node;
    return d.nodes.find((n) => n.id === node) ?? a;
  };

  const victim = await holder();
  // Measured from the kill: the connectors must move to the survivor (lease TTL); the victim is
  // restarted only after that. Just before the kill the victim accepts a burst, so that it dies
  // with batches in hand: how long they wait is the recovery of queued signals.
  let measured: Promise<Pick<FaultRecord, 'queuedRecoverS' | 'heldJobs' | 'leaseTakeoverS' | 'heldConnectors'>> | undefined;
  const killRecord = await hubFault(
    d,
    `SIGKILL ${victim.id}`,
    async () => {
      await d.burst(victim.url);
      const burstAt = Date.now();
      const held = [...(await connectorStates(d.nodes, d.key)).values()].filter((c) => c.node === victim.id).map((c) => c.id);
      await sleep(Math.max(0, burstAt + 200 - Date.now()));
      await victim.signal('SIGKILL');
      const killedAt = Date.now();
      // Read after the kill: what the dead node held stays in the active list until recovered
      // (with what the survivor has in hand at that instant).
      const jobs = await d.activeJobs();
      measured = measureKill(d, victim, held, jobs, killedAt);
    },
    async () => {
      await victim.start();
      d.log(`${victim.id} restarted at ${victim.url}`);
    },
  );
  const m = await measured!;
  d.log(`SIGKILL: ${m.heldJobs} batches in hand, ${m.heldConnectors} connectors held; batches applied ${m.queuedRecoverS ?? 'NOT'} s after the kill; leases moved after ${m.leaseTakeoverS ?? 'NOT'} s`);
  out.push({ ...killRecord, ...m });

  out.push(
    await hubFault(d, 'Redis SIGKILL + restart', async () => {
      await d.redis.kill('SIGKILL');
      await sleep(d.outageS * 1000);
      await d.redis.start();
    }),
  );

  const stalled = await holder();
  out.push(
    await hubFault(d, `SIGSTOP ${stalled.id} (worker stall)`, async () => {
      await stalled.signal('SIGSTOP');
      await sleep(d.outageS * 1000 * 2);
      await stalled.signal('SIGCONT');
    }),
  );

  const graph = d.up.graph;
  const graphFaults: [string, GraphFault][] = [
    ['Graph 500', { kind: 'status', status: 500 }],
    ['Graph 503 Retry-After', { kind: 'status', status: 503, retryAfterSeconds: 2 }],
    ['Graph timeouts', { kind: 'hang' }],
    ['Graph dropped connections', { kind: 'drop' }],
  ];
  for (const [name, f] of graphFaults) out.push(await upstreamFault(d, name, 'teams', () => graph.injectFault(f), () => graph.clearFault()));
  out.push(await upstreamFault(d, 'Graph 429 Retry-After', 'teams', () => graph.throttle(1_000_000, 2), () => graph.throttle(0)));
  out.push(await upstreamFault(d, 'SIP server gone', 'pbx', () => d.up.sipDown(), () => d.up.sipUp()));
  out.push(await upstreamFault(d, 'LDAP directory down', 'ldap', () => d.up.slapd!.kill(), () => d.up.slapd!.start()));
  return out;
}
