import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ConnectorSupervisor } from '../../core/connector/supervisor.ts';
import { HubError } from '../../core/errors.ts';
import { sharedBy } from '../../core/directory/directory.ts';
import type { RouteContext } from '../app.ts';
import { actor } from './audit.ts';
import { iso } from './json.ts';

export function connectorJson(id: string, s: ConnectorSupervisor, enabled: boolean, node: string | undefined): Record<string, unknown> {
  const h = s.health();
  return {
    id,
    kind: s.kind,
    capabilities: s.manifest.capabilities,
    enabled,
    state: h.state,
    /** The node holding the connector's lease (running it), null when none does. */
    node: node ?? null,
    lastSuccess: iso(h.lastOkAt) ?? null,
    lastError: h.lastError === undefined ? null : { code: h.lastError.code, message: h.lastError.message, at: iso(h.lastError.at) },
    counts: h.counts,
    /** Signals of this connector that ingest refused, by reason. */
    refused: h.refused,
    recent: h.recent.map((e) => ({ at: iso(e.at), ok: e.ok, ...(e.code !== undefined ? { code: e.code } : {}), ...(e.message !== undefined ? { message: e.message } : {}) })),
    /** When the current run of failures began; null while healthy. */
    failingSince: iso(h.failingSince) ?? null,
    /** When a failed start is tried again; null when no retry waits. */
    nextRetryAt: iso(h.nextRetryAt) ?? null,
    ...(h.progress !== undefined ? { progress: h.progress } : {}),
    ...(h.publishing !== undefined ? { publishing: h.publishing } : {}),
  };
}

export function adminRoutes({ hub, loaded }: RouteContext) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/v1/connectors',
      {
        config: { access: ['admin'] },
        schema: {
          summary: 'Each connector instance: kind, state, last success, last error, recent outcomes, failing since, next retry, counts',
          description: 'In the order of the configuration, whatever their state (a connector switched off or on keeps its place).',
        },
      },
      async () => ({
        connectors: (
          await Promise.all(
            loaded.config.connectors.map(async ({ id }) => {
              const running = hub.supervisors.get(id);
              if (running !== undefined) return connectorJson(id, running, true, await hub.connectorNode(id));
              const off = hub.disabled.get(id);
              return off === undefined ? undefined : connectorJson(id, off, false, undefined);
            }),
          )
        ).filter((c) => c !== undefined),
      }),
    );

    r.post(
      '/v1/connectors/:id/test',
      { config: { access: ['admin'] }, schema: { summary: 'Test the connection of a connector', params: z.object({ id: z.string().min(1).max(64) }) } },
      async (req) => {
        const s = hub.supervisors.get(req.params.id) ?? hub.disabled.get(req.params.id);
        if (s === undefined) throw new HubError('HUB_ERR_NOT_FOUND', `id: no connector ${req.params.id}`, { status: 404 });
        const result = await s.testConnection();
        await hub.audit.record({ by: actor(req), action: 'connector.test', target: req.params.id, outcome: result.ok ? 'ok' : 'failed', ...(result.code !== undefined ? { detail: result.code } : {}) });
        return result;
      },
    );

    r.get(
      '/v1/directory/report',
      {
        config: { access: ['admin'] },
        schema: {
          summary: 'Who is not synced and why',
          description:
            '`unsynced` lists, per connector, the people it cannot serve: `notMatched` (no identity of a scheme it finds people by), `silent` (collectors only: people it can find who have had no signal from it for `silentDays` days, default 7, or never) and `refused` (its signals that ingest refused: by reason, and the subjects the directory could not place). People lists are capped at 1000; `count` is the full number.',
          querystring: z.object({ silentDays: z.coerce.number().min(0).max(365).default(SILENT_DAYS) }),
        },
      },
      async (req) => {
        const dir = hub.directory;
        const unsynced = await unsyncedPeople(hub, req.query.silentDays);
        return {
          people: dir.size,
          conflicts: dir.conflicts.map((c) => ({ identity: c.identity, people: c.people, reason: `${sharedBy(c.people)}; it resolves to nobody` })),
          unknown: hub.report.unknownEntries().map((e) => ({ source: e.source, subject: e.subject, count: e.count, lastSeen: iso(e.lastSeen), reason: e.reason ?? 'signals for someone the directory does not know' })),
          // The unknown list is bounded (core/directory/report.ts): this many entries were pushed out.
          unknownDropped: hub.report.dropped,
          withoutIdentity: [...hub.supervisors, ...hub.disabled]
            .filter(([, s]) => (s.manifest.identitySchemes ?? []).length > 0)
            .map(([id, s]) => {
              const schemes = s.manifest.identitySchemes!;
              const missing = [...dir.people()].filter((p) => !p.identities.some((i) => schemes.includes(i.slice(0, i.indexOf(':')).toLowerCase()))).map((p) => p.id);
              return { connector: id, kind: s.kind, needs: schemes.map((x) => `${x}:`), count: missing.length, people: missing.slice(0, 1000), reason: `no ${schemes.join(' or ')} identity: not synced with ${id}` };
            }),
          connectors: [...hub.supervisors]
            .map(([id, s]) => {
              const r = s.report();
              if (r === undefined) return undefined;
              return { connector: id, kind: s.kind, people: r.people ?? null, lastSync: iso(r.at) ?? null, skipped: r.skipped, conflicts: r.conflicts ?? [], withoutIdentities: r.withoutIdentities ?? [], unusable: r.unusable ?? [], truncated: r.truncated ?? [], disabled: r.disabled ?? 0 };
            })
            .filter((x) => x !== undefined),
          unsynced,
        };
      },
    );
  };
}

/** The default of `silentDays`: a person without a signal from a collector for this long counts as not synced with it. */
export const SILENT_DAYS = 7;
const LISTED = 1000;

/** Per connector (in configuration order): who it does not match, who it has been silent about, what it had refused. */
async function unsyncedPeople(hub: RouteContext['hub'], silentDays: number) {
  const dir = hub.directory;
  const now = await hub.pipeline.store.now();
  const cutoff = now - silentDays * 86_400_000;
  const all = [...hub.supervisors, ...hub.disabled].sort(([a], [b]) => order(hub, a) - order(hub, b));
  const collectors = all.filter(([, s]) => s.manifest.capabilities.includes('collect'));
  // Each matched person's newest signal per collector, from the registers (one read for every collector).
  const newest = new Map<string, Map<string, number>>();
  if (collectors.length > 0) {
    const ids = [...dir.ids()];
    for (let i = 0; i < ids.length; i += 500) {
      for (const [person, regs] of await hub.pipeline.store.getRegisters(ids.slice(i, i + 500))) {
        for (const r of regs.registers) {
          let m = newest.get(r.source);
          if (m === undefined) newest.set(r.source, (m = new Map()));
          if ((m.get(person) ?? -Infinity) < r.publishedAt) m.set(person, r.publishedAt);
        }
      }
    }
  }
  return all.map(([id, s]) => {
    const schemes = (s.manifest.identitySchemes ?? []).map((x) => x.toLowerCase());
    const matches = (identities: readonly string[]): boolean => schemes.length === 0 || identities.some((i) => schemes.includes(i.slice(0, i.indexOf(':')).toLowerCase()));
    const notMatched: string[] = [];
    const silent: { person: string; lastSignal: string | null }[] = [];
    for (const p of dir.people()) {
      if (!matches(p.identities)) notMatched.push(p.id);
      else if (s.manifest.capabilities.includes('collect')) {
        const last = newest.get(id)?.get(p.id);
        if (last === undefined || last < cutoff) silent.push({ person: p.id, lastSignal: iso(last) ?? null });
      }
    }
    const subjects = hub.report.unknownEntries().filter((e) => e.source === id);
    const refusedBy = s.health().refused;
    return {
      connector: id,
      kind: s.kind,
      notMatched: { count: notMatched.length, people: notMatched.slice(0, LISTED), ...(schemes.length > 0 ? { needs: schemes.map((x) => `${x}:`) } : {}) },
      ...(s.manifest.capabilities.includes('collect') ? { silent: { days: silentDays, count: silent.length, people: silent.slice(0, LISTED) } } : {}),
      refused: {
        count: Object.values(refusedBy).reduce((a, b) => a + b, 0),
        byReason: refusedBy,
        subjects: subjects.slice(0, LISTED).map((e) => ({ subject: e.subject, count: e.count, lastSeen: iso(e.lastSeen), reason: e.reason ?? 'signals for someone the directory does not know' })),
      },
    };
  });
}

const order = (hub: RouteContext['hub'], id: string): number => hub.deps.loaded.config.connectors.findIndex((c) => c.id === id);
