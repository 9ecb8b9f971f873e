import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CONTAINERS } from '../../core/model/presence.ts';
import { HubError } from '../../core/errors.ts';
import type { RouteContext } from '../app.ts';
import { actor } from './audit.ts';

const statusSchema = z.object({
  id: z.string(),
  url: z.string(),
  people: z.array(z.string()),
  watcher: z.string().optional(),
  container: z.enum(CONTAINERS).optional(),
  state: z.enum(['active', 'failing', 'disabled']),
  createdAt: z.string(),
  delivered: z.number(),
  failures: z.number(),
  lastError: z.string().optional(),
  lastDeliveredAt: z.string().optional(),
  /** The last delivery attempt, whatever its outcome (absent before the first). */
  lastDelivery: z.object({ at: z.string(), outcome: z.enum(['delivered', 'failed']), error: z.string().optional() }).optional(),
});
const idParam = z.object({ id: z.string().uuid() });

export function webhookRoutes({ hub }: RouteContext) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/v1/webhooks',
      {
        config: { access: ['admin'] },
        schema: {
          summary: 'Deliver the views of a set of people to a URL',
          description:
            'Deliveries are JSON `{webhook, presence: [view...]}` signed with HMAC-SHA256 over `${timestamp}.${body}` (headers x-presence-hub-signature and x-presence-hub-timestamp), retried with backoff, and disabled after `webhooks.maxAttempts` consecutive failures. The secret is returned once, at creation.',
          body: z.strictObject({
            url: z.url({ protocol: /^https?$/ }),
            people: z.array(z.string().min(1).max(128)).min(1).max(10_000),
            watcher: z.string().min(1).max(128).optional(),
            container: z.enum(CONTAINERS).optional(),
          }),
          response: { 201: statusSchema.extend({ secret: z.string() }) },
        },
      },
      async (req, reply) => {
        const dir = hub.directory;
        const unknown = req.body.people.find((p) => !dir.has(p));
        if (unknown !== undefined) throw new HubError('HUB_ERR_UNKNOWN_PERSON', `people: unknown person ${unknown}`, { status: 422 });
        if (req.body.watcher !== undefined && !dir.has(req.body.watcher)) {
          throw new HubError('HUB_ERR_UNKNOWN_PERSON', `watcher: unknown person ${req.body.watcher}`, { status: 422 });
        }
        const { status, secret } = await hub.webhooks.create(req.body);
        // Where it delivers, without credentials or query a URL might carry.
        const to = new URL(status.url);
        await hub.audit.record({ by: actor(req), action: 'webhook.create', target: status.id, detail: `${to.origin}${to.pathname}` });
        return reply.code(201).send({ ...status, secret });
      },
    );
    r.get('/v1/webhooks', { config: { access: ['admin'] }, schema: { summary: 'All webhooks', response: { 200: z.object({ webhooks: z.array(statusSchema) }) } } }, async () => ({
      webhooks: await hub.webhooks.list(),
    }));
    r.get('/v1/webhooks/:id', { config: { access: ['admin'] }, schema: { summary: 'One webhook and its delivery state', params: idParam, response: { 200: statusSchema } } }, async (req) => {
      const s = await hub.webhooks.get(req.params.id);
      if (s === undefined) throw new HubError('HUB_ERR_NOT_FOUND', `id: no webhook ${req.params.id}`, { status: 404 });
      return s;
    });
    r.delete('/v1/webhooks/:id', { config: { access: ['admin'] }, schema: { summary: 'Remove a webhook', params: idParam } }, async (req, reply) => {
      if (!(await hub.webhooks.delete(req.params.id))) throw new HubError('HUB_ERR_NOT_FOUND', `id: no webhook ${req.params.id}`, { status: 404 });
      await hub.audit.record({ by: actor(req), action: 'webhook.delete', target: req.params.id });
      return reply.code(204).send();
    });
  };
}
