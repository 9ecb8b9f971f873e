import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AUDIT_ACTIONS, AUDIT_MAX, type AuditEntry } from '../../core/audit.ts';
import type { RouteContext } from '../app.ts';

/** Who made the call, as the audit list names them: the key's name and roles, never the key. */
export function actor(req: FastifyRequest): AuditEntry['by'] {
  const p = req.principal;
  return { name: p?.name ?? 'unknown', roles: p === undefined ? [] : [...p.roles].sort() };
}

const entrySchema = z.object({
  at: z.string(),
  by: z.object({ name: z.string(), roles: z.array(z.string()) }),
  action: z.enum(AUDIT_ACTIONS),
  target: z.string(),
  outcome: z.enum(['ok', 'failed']).optional(),
  detail: z.string().optional(),
});

/** GET /v1/audit: the admin actions, newest first (kept in the store, bounded; core/audit.ts). */
export function auditRoutes({ hub }: RouteContext) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/v1/audit',
      {
        config: { access: ['admin'] },
        schema: {
          summary: 'Who enabled, disabled or tested which connector, created or deleted which webhook, replayed which dead letter, and when',
          description: `Newest first. Kept in the hub's store: shared by every node and kept across restarts in Redis mode or with \`dataDir\`; the newest ${AUDIT_MAX} entries are kept. \`by\` names the key (its name and roles), never its secret.`,
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(AUDIT_MAX).default(100) }),
          response: { 200: z.object({ entries: z.array(entrySchema) }) },
        },
      },
      async (req) => ({
        entries: (await hub.audit.list(req.query.limit)).map((e) => ({ ...e, at: new Date(e.at).toISOString(), by: { name: e.by.name, roles: [...e.by.roles] } })),
      }),
    );
  };
}
