import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ConnectorManifest } from '../../core/connector/contract.ts';
import type { HubConfig } from '../../core/config/schema.ts';
import type { LoadedConfig } from '../../core/config/load.ts';
import { HubError } from '../../core/errors.ts';
import type { RouteContext } from '../app.ts';
import { connectorJson } from './admin.ts';
import { actor } from './audit.ts';

export const MASK = '********';

/** A copy of a connector section with every field its manifest lists as secret masked. */
function maskConnector(entry: Record<string, unknown>, manifest: ConnectorManifest | undefined): Record<string, unknown> {
  const out = structuredClone(entry);
  for (const path of manifest?.secretFields ?? []) {
    const keys = path.split('.');
    let node: unknown = out;
    for (const k of keys.slice(0, -1)) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[k] : undefined;
    const last = keys[keys.length - 1]!;
    if (node !== null && typeof node === 'object' && (node as Record<string, unknown>)[last] !== undefined) (node as Record<string, unknown>)[last] = MASK;
  }
  return out;
}

/** The configuration in force with secrets masked; the people list is summarised, not listed. */
export function maskedConfig(config: HubConfig, manifests: ReadonlyMap<string, ConnectorManifest>): Record<string, unknown> {
  const { people, auth, connectors, redis, triggers, ...rest } = config;
  return {
    ...structuredClone(rest),
    triggers: { ...structuredClone(triggers), rules: triggers.rules.map((t) => (t.action.type === 'webhook' ? { ...structuredClone(t), action: { ...t.action, secret: MASK } } : structuredClone(t))) },
    ...(redis !== undefined ? { redis: { ...redis, ...(redis.url !== undefined ? { url: maskUrl(redis.url) } : {}) } } : {}),
    people: { inline: people.length },
    auth: { keys: auth.keys.map((k) => ({ ...k, roles: [...k.roles], secret: MASK })) },
    connectors: connectors.map((c) => maskConnector(c as Record<string, unknown>, manifests.get(c.kind))),
  };
}

/** A Redis URL with its credentials masked (`redis://********@host:6379`). */
const maskUrl = (url: string): string => url.replace(/\/\/[^@/]*@/, `//${MASK}@`);

/**
 * The configuration as it runs: the file with the environment's overrides applied (PORT over
 * server.port, REDIS_URL, NODE_ID, LOG_LEVEL), the address actually listened on and the node's id
 * as this node uses them, secrets masked; `overrides` lists what the environment replaced.
 */
export function effectiveConfig(
  loaded: LoadedConfig,
  manifests: ReadonlyMap<string, ConnectorManifest>,
  running: { port?: number; nodeId: string; mode: 'embedded' | 'redis' },
): Record<string, unknown> {
  const out = maskedConfig(loaded.config, manifests);
  const put = (path: string, value: unknown): void => {
    const keys = path.split('.');
    let node = out;
    for (const k of keys.slice(0, -1)) {
      if (node[k] === null || typeof node[k] !== 'object') node[k] = {};
      node = node[k] as Record<string, unknown>;
    }
    node[keys[keys.length - 1]!] = value;
  };
  const overrides = (loaded.overrides ?? []).map((o) => {
    const value = o.secret === true && typeof o.value === 'string' ? maskUrl(o.value) : o.value;
    put(o.path, value);
    return { path: o.path, variable: o.variable, value };
  });
  if (running.port !== undefined) put('server.port', running.port);
  put('node.id', running.nodeId);
  return { ...out, mode: running.mode, overrides };
}

/** Admin calls the console needs beyond the contract: enable/disable, the masked configuration. */
export function dashboardAdminRoutes({ hub, loaded }: RouteContext) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const idParams = z.object({ id: z.string().min(1).max(64) });

    for (const action of ['enable', 'disable'] as const) {
      r.post(
        `/v1/connectors/:id/${action}`,
        { config: { access: ['admin'] }, schema: { summary: `${action === 'enable' ? 'Start' : 'Stop'} a connector on every node, kept across restarts until switched back`, params: idParams } },
        async (req) => {
          const { id } = req.params;
          if (!hub.supervisors.has(id) && !hub.disabled.has(id)) throw new HubError('HUB_ERR_NOT_FOUND', `id: no connector ${id}`, { status: 404 });
          // Recorded when it changed something: enabling a running connector is no action.
          if (await (action === 'enable' ? hub.enableConnector(id) : hub.disableConnector(id))) await hub.audit.record({ by: actor(req), action: `connector.${action}`, target: id });
          const s = hub.supervisors.get(id) ?? hub.disabled.get(id)!;
          const enabled = hub.supervisors.has(id);
          return connectorJson(id, s, enabled, enabled ? await hub.connectorNode(id) : undefined);
        },
      );
    }

    r.get(
      '/v1/config',
      {
        config: { access: ['admin'] },
        schema: {
          summary: 'The configuration as it runs: the file with the environment overrides applied, secrets masked',
          description:
            'The configuration keys as validated at start, with `PORT`, `REDIS_URL`, `NODE_ID` and `LOG_LEVEL` applied over `server.port`, `redis.url`, `node.id` and `log.level`; `server.port` is the port this node listens on and `node.id` its id. Extra keys: `mode` (`embedded` or `redis`) and `overrides` (`[{path, variable, value}]`, what the environment replaced). Secrets (API keys, connector secret fields, Redis credentials) are `********`; the people list is summarised as `{inline: n}`.',
        },
      },
      async () => {
        const addr = app.server.address();
        return effectiveConfig(loaded, hub.deps.manifests, { ...(addr !== null && typeof addr === 'object' ? { port: addr.port } : {}), nodeId: hub.nodeId, mode: hub.pipeline.mode });
      },
    );
  };
}
