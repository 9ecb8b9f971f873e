import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ConnectorManifest } from '../../core/connector/contract.ts';
import type { HubConfig } from '../../core/config/schema.ts';
import { viewFor } from '../../core/model/presence.ts';
import { HubError } from '../../core/errors.ts';
import type { Timeline, TimelineEntry } from '../../core/watch/timeline.ts';
import type { RouteContext } from '../app.ts';
import { connectorJson } from './admin.ts';

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
  const { people, auth, connectors, redis, ...rest } = config;
  return {
    ...structuredClone(rest),
    ...(redis !== undefined ? { redis: { ...redis, ...(redis.url !== undefined ? { url: redis.url.replace(/\/\/[^@/]*@/, `//${MASK}@`) } : {}) } } : {}),
    people: { inline: people.length },
    auth: { keys: auth.keys.map((k) => ({ ...k, roles: [...k.roles], secret: MASK })) },
    connectors: connectors.map((c) => maskConnector(c as Record<string, unknown>, manifests.get(c.kind))),
  };
}

const iso = (ms: number | undefined): string | undefined => (ms === undefined ? undefined : new Date(ms).toISOString());

function entryJson(e: TimelineEntry, baseline: number): Record<string, unknown> {
  if (e.type === 'change') return { at: iso(e.at), type: 'change', presence: viewFor(e.presence, 'personal', baseline) };
  const s = e.signal;
  const signal: Record<string, unknown> = { source: s.source, endpoint: s.endpoint, category: s.category, expireType: s.expireType };
  if (s.availability !== undefined) signal.availability = s.availability;
  if (s.activity !== undefined) signal.activity = s.activity;
  if (s.machineState !== undefined) signal.machineState = s.machineState;
  if (s.from !== undefined) signal.from = iso(s.from);
  if (s.until !== undefined) signal.until = iso(s.until);
  if (s.sourceTime !== undefined) signal.sourceTime = iso(s.sourceTime);
  if (s.sourceVersion !== undefined) signal.sourceVersion = s.sourceVersion;
  if (s.id !== undefined) signal.id = s.id;
  return { at: iso(e.at), type: 'signal', outcome: e.outcome, signal };
}

/** Admin calls the console needs beyond the contract: enable/disable, the masked configuration, the timeline. */
export function dashboardAdminRoutes({ hub, loaded }: RouteContext, deps: { timeline: Timeline }) {
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
          await (action === 'enable' ? hub.enableConnector(id) : hub.disableConnector(id));
          const s = hub.supervisors.get(id) ?? hub.disabled.get(id)!;
          const enabled = hub.supervisors.has(id);
          return connectorJson(id, s, enabled, enabled ? await hub.connectorNode(id) : undefined);
        },
      );
    }

    r.get('/v1/config', { config: { access: ['admin'] }, schema: { summary: 'The configuration in force, secrets masked' } }, async () => maskedConfig(loaded.config, hub.deps.manifests));

    r.get(
      '/v1/presence/:person/timeline',
      {
        config: { access: ['admin', 'helpdesk'] },
        schema: {
          summary: 'The last presence changes and signals of a person, newest first (bounded per person, kept in the store)',
          params: z.object({ person: z.string().min(1).max(128) }),
        },
      },
      async (req) => {
        const dir = hub.directory;
        if (!dir.has(req.params.person)) throw new HubError('HUB_ERR_NOT_FOUND', `person: unknown person ${req.params.person}`, { status: 404 });
        return { person: req.params.person, entries: (await deps.timeline.entries(req.params.person)).map((e) => entryJson(e, dir.loadedAt)) };
      },
    );
  };
}
