import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { scorer } from '../../core/model/confidence.ts';
import { presenceViewSchema } from '../../core/model/presence.ts';
import { HubError } from '../../core/errors.ts';
import { watcherView } from '../../core/watch/watchers.ts';
import type { RouteContext } from '../app.ts';
import { watcherOf } from '../auth.ts';

const personParam = z.object({ person: z.string().min(1).max(128) });

export function presenceRoutes({ hub, loaded, clock }: RouteContext) {
  const score = scorer(loaded.config.confidence, () => clock.now());
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/v1/presence/:person',
      {
        config: { access: ['watcher', 'helpdesk', 'admin'] },
        schema: { summary: "The caller's view of one person", params: personParam, response: { 200: presenceViewSchema } },
      },
      async (req) => {
        const dir = hub.directory;
        if (!dir.has(req.params.person)) throw new HubError('HUB_ERR_NOT_FOUND', `person: unknown person ${req.params.person}`, { status: 404 });
        const [p] = await hub.presence([req.params.person]);
        return watcherView(dir, watcherOf(req.principal!), p!, score);
      },
    );
    r.post(
      '/v1/presence/query',
      {
        config: { access: ['watcher', 'helpdesk', 'admin'] },
        schema: {
          summary: 'Many views at once',
          body: z.strictObject({ people: z.array(z.string().min(1).max(128)).min(1).max(10_000) }),
          response: { 200: z.object({ presence: z.array(presenceViewSchema), unknown: z.array(z.string()) }) },
        },
      },
      async (req) => {
        const dir = hub.directory;
        const known = req.body.people.filter((p) => dir.has(p));
        const unknown = req.body.people.filter((p) => !dir.has(p));
        const w = watcherOf(req.principal!);
        const presence = (await hub.presence(known)).map((p) => watcherView(dir, w, p, score));
        return { presence, unknown };
      },
    );
  };
}
