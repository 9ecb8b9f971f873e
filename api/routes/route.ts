import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HubError } from '../../core/errors.ts';
import { compileRouting, MEDIA } from '../../core/route/route-config.ts';
import { activeDevice, routeAnswerSchema, routeFor } from '../../core/route/route.ts';
import { containerOf, watcherView } from '../../core/watch/watchers.ts';
import type { RouteContext } from '../app.ts';
import { watcherOf } from '../auth.ts';
import { entryFor } from './people.ts';

const personParam = z.object({ person: z.string().min(1).max(128) });
const medium = z.enum(['any', ...MEDIA]).default('any');

/**
 * "DNS for people" (docs/routing.md): the best ways to reach someone now. The decision sees only the
 * caller's presence view (the same `watcherView` as /v1/presence) and the caller's directory entry
 * (the same `entryFor` as /v1/people), so it reveals nothing either would not.
 */
export function routeRoutes({ hub, loaded }: RouteContext) {
  const routing = compileRouting(loaded.config.routing);
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    const answer = async (people: readonly string[], w: ReturnType<typeof watcherOf>, m: z.infer<typeof medium>) => {
      const dir = hub.directory;
      // Registers are read only for callers whose container shows machine state and activity.
      const full = people.filter((p) => ['personal', 'team'].includes(containerOf(dir, w, p)));
      const registers = full.length > 0 && routing.devices.length > 0 ? await hub.pipeline.store.getRegisters(full) : new Map();
      const now = full.length > 0 ? await hub.pipeline.store.now() : 0;
      return (await hub.presence(people)).map((p) => {
        const entry = dir.person(p.person);
        const regs = registers.get(p.person)?.registers;
        const device = regs === undefined ? undefined : activeDevice(regs, routing, now);
        return routeFor(watcherView(dir, w, p), entry === undefined ? undefined : entryFor(dir, w, entry).identities, routing, m, device);
      });
    };
    r.get(
      '/v1/route/:person',
      {
        config: { access: ['watcher', 'helpdesk', 'admin'] },
        schema: {
          summary: 'The ordered ways to reach a person now, with addresses and a reason',
          params: personParam,
          querystring: z.strictObject({ medium }),
          response: { 200: routeAnswerSchema },
        },
      },
      async (req) => {
        if (!hub.directory.has(req.params.person)) throw new HubError('HUB_ERR_NOT_FOUND', `person: unknown person ${req.params.person}`, { status: 404 });
        const [a] = await answer([req.params.person], watcherOf(req.principal!), req.query.medium);
        return a!;
      },
    );
    r.post(
      '/v1/route/query',
      {
        config: { access: ['watcher', 'helpdesk', 'admin'] },
        schema: {
          summary: 'Routes for many people at once',
          body: z.strictObject({ people: z.array(z.string().min(1).max(128)).min(1).max(10_000), medium }),
          response: { 200: z.object({ routes: z.array(routeAnswerSchema), unknown: z.array(z.string()) }) },
        },
      },
      async (req) => {
        const dir = hub.directory;
        const known = req.body.people.filter((p) => dir.has(p));
        const unknown = req.body.people.filter((p) => !dir.has(p));
        return { routes: await answer(known, watcherOf(req.principal!), req.body.medium), unknown };
      },
    );
  };
}
