import type { FastifyInstance } from 'fastify';
import { manifestsByKind } from '../../connectors/index.ts';
import { parseConfig, type LoadedConfig } from '../../core/config/load.ts';
import type { HubConfigInput } from '../../core/config/schema.ts';
import { Hub } from '../../core/hub.ts';
import type { MemoryQueue } from '../../core/pipeline/embedded/queue.ts';
import type { Pipeline } from '../../core/pipeline/ports.ts';
import type { LeasePort } from '../../core/connector/lease.ts';
import type { Clock } from '../../core/util/clock.ts';
import { silentLogger, type Logger } from '../../core/util/logger.ts';
import { buildApp, type AppDeps, type RouteContext } from '../../api/app.ts';

export interface TestHub {
  readonly hub: Hub;
  readonly app: FastifyInstance;
  readonly loaded: LoadedConfig;
  /** Waits until every queued signal has been applied and published (embedded mode). */
  settle(): Promise<void>;
  close(): Promise<void>;
}

/** A hub and its API (not listening) from a configuration object, for route and contract tests. */
export async function testHub(opts: {
  config: HubConfigInput;
  env?: NodeJS.ProcessEnv;
  clock: Clock;
  log?: Logger;
  pipeline?: Pipeline;
  lease?: LeasePort;
  leaseTtlMs?: number;
  nodeId?: string;
  /** Extra route plugins (the dashboard), built from the hub's context. */
  plugins?: (ctx: RouteContext) => AppDeps['plugins'];
}): Promise<TestHub> {
  const loaded = parseConfig(opts.config, { env: opts.env ?? {}, manifests: manifestsByKind });
  const log = opts.log ?? silentLogger();
  const hub = new Hub({
    loaded,
    manifests: manifestsByKind,
    clock: opts.clock,
    log,
    ...(opts.pipeline !== undefined ? { pipeline: opts.pipeline } : {}),
    ...(opts.lease !== undefined ? { lease: opts.lease } : {}),
    ...(opts.leaseTtlMs !== undefined ? { leaseTtlMs: opts.leaseTtlMs } : {}),
    ...(opts.nodeId !== undefined ? { nodeId: opts.nodeId } : {}),
  });
  const plugins = opts.plugins?.({ hub, loaded, log, clock: opts.clock });
  const app = await buildApp({ hub, loaded, log, clock: opts.clock, ...(plugins !== undefined ? { plugins } : {}) });
  await hub.start();
  await app.ready();
  return {
    hub,
    app,
    loaded,
    async settle() {
      const q = hub.pipeline.queue as Partial<MemoryQueue>;
      if (typeof q.drain === 'function') {
        // Twice: a batch handled may schedule work that lands in the same tick.
        await q.drain();
        await new Promise((r) => setImmediate(r));
        await q.drain();
      }
    },
    async close() {
      await app.close();
      await hub.stop();
    },
  };
}

/** Alice, Bob (same team), Carol (other team, in Alice's personal list), Mallory (blocked by Alice). */
export function teamConfig(extra: Partial<HubConfigInput> = {}): HubConfigInput {
  return {
    people: [
      { id: 'alice', name: 'Alice Example', identities: ['sip:alice@corp.example', 'mailto:alice@corp.example', 'tel:+15550101'], teams: ['support'], personal: ['carol'], blocked: ['mallory'] },
      { id: 'bob', name: 'Bob Example', identities: ['sip:bob@corp.example'], teams: ['support'] },
      { id: 'carol', name: 'Carol Example', identities: ['sip:carol@corp.example'], teams: ['sales'] },
      { id: 'dave', name: 'Dave Example', identities: ['sip:dave@corp.example'], teams: ['sales'] },
      { id: 'mallory', name: 'Mallory Example', identities: ['sip:mallory@corp.example'], teams: ['support'] },
    ],
    auth: {
      keys: [
        { name: 'admin', secret: '${ADMIN_KEY}', roles: ['admin'] },
        { name: 'publisher', secret: '${PUB_KEY}', roles: ['publisher'] },
        { name: 'bob', secret: '${BOB_KEY}', roles: ['watcher'], person: 'bob' },
        { name: 'carol', secret: '${CAROL_KEY}', roles: ['watcher'], person: 'carol' },
        { name: 'dave', secret: '${DAVE_KEY}', roles: ['watcher'], person: 'dave' },
        { name: 'mallory', secret: '${MALLORY_KEY}', roles: ['watcher'], person: 'mallory' },
        { name: 'public', secret: '${PUBLIC_KEY}', roles: ['watcher'] },
      ],
    },
    // Tests deliver webhooks to receivers on loopback, which the destination policy refuses by default.
    webhooks: { allowPrivateTargets: ['127.0.0.1'] },
    ...extra,
  };
}

export const TEAM_ENV = {
  ADMIN_KEY: 'admin-secret-0001',
  PUB_KEY: 'publisher-secret-0002',
  BOB_KEY: 'bob-secret-000003',
  CAROL_KEY: 'carol-secret-0004',
  DAVE_KEY: 'dave-secret-0005',
  MALLORY_KEY: 'mallory-secret-0006',
  PUBLIC_KEY: 'public-secret-0007',
  HELPDESK_KEY: 'helpdesk-secret-0008',
};

/** The team's keys plus a helpdesk key (HELPDESK_KEY in TEAM_ENV), for the tests of that role. */
export function withHelpdesk(): Pick<HubConfigInput, 'auth'> {
  const keys = teamConfig().auth?.keys ?? [];
  return { auth: { keys: [...keys, { name: 'helpdesk', secret: '${HELPDESK_KEY}', roles: ['helpdesk'] }] } };
}

export const auth = (key: string): { authorization: string } => ({ authorization: `Bearer ${key}` });
