import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HubError } from '../../core/errors.ts';
import { AVAILABILITY_CLASSES } from '../../core/model/availability.ts';
import { triggerRequestSchema } from '../../core/trigger/trigger-config.ts';
import type { Caller } from '../../core/trigger/triggers.ts';
import type { RouteContext } from '../app.ts';
import { actor } from './audit.ts';
import type { Principal } from '../auth.ts';

export const triggerStatusSchema = z.object({
  id: z.string(),
  origin: z.enum(['config', 'api']).describe('`config`: from the configuration file (not deletable); `api`: created through POST /v1/triggers'),
  people: z.array(z.string()).optional(),
  team: z.string().optional(),
  atLeast: z.number().int(),
  classes: z.array(z.enum(AVAILABILITY_CLASSES)),
  hysteresis: z.number().describe('seconds'),
  action: z.union([z.object({ type: z.literal('webhook'), url: z.string() }), z.object({ type: z.literal('sse') })]),
  owner: z.string().optional().describe('the API key that created it (watcher triggers only)'),
  createdAt: z.string(),
  expiresAt: z.string().optional(),
  met: z.boolean().describe('whether the condition held at the last evaluation'),
  fired: z.number().int().describe('firings so far'),
  lastFiredAt: z.string().optional(),
  delivered: z.number().int().describe('webhook deliveries answered 2xx'),
  failures: z.number().int().describe('webhook delivery attempts that failed'),
  lastError: z.string().optional().describe('`unreachable` or `answered <status>`'),
});
const idParam = z.object({ id: z.string().min(1).max(64) });

export function callerOf(p: Principal): Caller {
  return { admin: p.roles.has('admin'), key: p.name, ...(p.person !== undefined ? { person: p.person } : {}) };
}

/**
 * Presence triggers (docs/triggers.md). Admins see and manage every trigger; a watcher key creates
 * "tell me when" triggers for people whose availability its container shows (a person who blocks it
 * is answered exactly as a person who does not exist), and sees and deletes only its own.
 */
export function triggerRoutes({ hub }: RouteContext) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/v1/triggers',
      {
        config: { access: ['admin', 'watcher'] },
        schema: {
          summary: 'Create a presence trigger',
          description:
            'A quorum condition (`atLeast` of `people`, or of the members of `team`, in one of `classes`) with `hysteresis`, and an action: `{type: "webhook", url}` (signed deliveries of `{trigger, firing, at, people}`, exactly like webhooks, the firing id also in the `x-presence-hub-firing` header; at least once: a repeat carries the same id; the secret is returned once) or `{type: "sse"}` (a `trigger` event on `/v1/stream?triggers=id`). It fires once per transition into the condition; a condition already true at creation does not fire until it was false and came back. A watcher may name only people whose availability it sees (others: the answer for an unknown person), not teams; its triggers expire (`expiresIn`, default `triggers.watchers.expiry`, at most `triggers.watchers.maxExpiry`).',
          body: triggerRequestSchema,
          response: { 201: triggerStatusSchema.extend({ secret: z.string().optional().describe('webhook actions: the signing secret, shown once') }) },
        },
      },
      async (req, reply) => {
        const caller = callerOf(req.principal!);
        const dir = hub.directory;
        const body = req.body;
        if (!caller.admin) {
          if (body.team !== undefined) throw new HubError('HUB_ERR_FORBIDDEN', 'team: only admins create team triggers; name the people', { status: 403 });
          if (body.people!.length > hub.deps.loaded.config.triggers.watchers.maxPeople) {
            throw new HubError('HUB_ERR_INVALID_REQUEST', `people: at most ${hub.deps.loaded.config.triggers.watchers.maxPeople} (triggers.watchers.maxPeople)`, { status: 400 });
          }
        }
        for (const p of body.people ?? []) {
          // A blocked watcher's view is a never-signed-in person's: it is told what it would be told
          // for someone who does not exist, so the refusal does not reveal the block either.
          if (!dir.has(p) || (!caller.admin && dir.containerFor(caller.person, p) === 'blocked')) {
            throw new HubError('HUB_ERR_UNKNOWN_PERSON', `people: unknown person ${p}`, { status: 422 });
          }
        }
        const { status, secret } = await hub.triggers.create(body, caller);
        await hub.audit.record({ by: actor(req), action: 'trigger.create', target: status.id, detail: `${status.action.type} action` });
        return reply.code(201).send({ ...status, ...(secret !== undefined ? { secret } : {}) });
      },
    );
    r.get(
      '/v1/triggers',
      {
        config: { access: ['admin', 'watcher'] },
        schema: { summary: 'The triggers the key may see (admins: all; watchers: their own), with their state', response: { 200: z.object({ triggers: z.array(triggerStatusSchema) }) } },
      },
      async (req) => ({ triggers: await hub.triggers.list(callerOf(req.principal!)) }),
    );
    r.get(
      '/v1/triggers/:id',
      { config: { access: ['admin', 'watcher'] }, schema: { summary: 'One trigger and its state', params: idParam, response: { 200: triggerStatusSchema } } },
      async (req) => {
        const s = await hub.triggers.get(req.params.id, callerOf(req.principal!));
        if (s === undefined) throw new HubError('HUB_ERR_NOT_FOUND', `id: no trigger ${req.params.id}`, { status: 404 });
        return s;
      },
    );
    r.delete(
      '/v1/triggers/:id',
      { config: { access: ['admin', 'watcher'] }, schema: { summary: 'Remove a trigger created through the API (admins: any; watchers: their own)', params: idParam } },
      async (req, reply) => {
        const caller = callerOf(req.principal!);
        if (caller.admin && hub.triggers.isConfigured(req.params.id)) {
          throw new HubError('HUB_ERR_FORBIDDEN', `id: trigger ${req.params.id} is in the configuration file; remove it there`, { status: 403 });
        }
        if (!(await hub.triggers.delete(req.params.id, caller))) throw new HubError('HUB_ERR_NOT_FOUND', `id: no trigger ${req.params.id}`, { status: 404 });
        await hub.audit.record({ by: actor(req), action: 'trigger.delete', target: req.params.id });
        return reply.code(204).send();
      },
    );
  };
}
