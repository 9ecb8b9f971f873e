import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { Person } from '../../core/model/person.ts';
import { HubError } from '../../core/util/errors.ts';
import { containerOf, type WatcherIdentity } from '../../core/watch/watchers.ts';
import type { Directory } from '../../core/directory/directory.ts';
import type { RouteContext } from '../app.ts';
import { watcherOf } from '../auth.ts';

const entrySchema = z.object({
  id: z.string(),
  name: z.string().optional(),
  identities: z.array(z.string()).optional(),
  teams: z.array(z.string()).optional(),
});
type Entry = z.infer<typeof entrySchema>;

/** A directory entry as a watcher may see it: identities only to personal and team, teams to company. */
export function entryFor(dir: Directory, w: WatcherIdentity, p: Person): Entry {
  const c = containerOf(dir, w, p.id);
  const e: Entry = { id: p.id };
  if (p.name !== undefined && c !== 'blocked') e.name = p.name;
  if (c === 'personal' || c === 'team') e.identities = [...p.identities];
  if (c === 'personal' || c === 'team' || c === 'company') e.teams = [...p.teams];
  return e;
}

export function peopleRoutes({ hub }: RouteContext) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/v1/people',
      {
        config: { access: ['watcher', 'admin'] },
        schema: {
          summary: 'Directory entries and identities',
          querystring: z.object({ q: z.string().max(256).optional(), team: z.string().max(128).optional(), limit: z.coerce.number().int().min(1).max(100_000).default(1000), offset: z.coerce.number().int().min(0).default(0) }),
          response: { 200: z.object({ people: z.array(entrySchema), total: z.number() }) },
        },
      },
      async (req) => {
        const dir = hub.directory;
        const w = watcherOf(req.principal!);
        const q = req.query.q?.toLowerCase();
        let all = [...dir.people()].map((p) => entryFor(dir, w, p));
        if (q !== undefined) all = all.filter((e) => e.id.toLowerCase().includes(q) || (e.name ?? '').toLowerCase().includes(q) || (e.identities ?? []).some((i) => i.toLowerCase().includes(q)));
        if (req.query.team !== undefined) all = all.filter((e) => e.teams?.includes(req.query.team!) === true);
        return { people: all.slice(req.query.offset, req.query.offset + req.query.limit), total: all.length };
      },
    );
    r.get(
      '/v1/people/:person',
      { config: { access: ['watcher', 'admin'] }, schema: { summary: 'One directory entry', params: z.object({ person: z.string().min(1).max(128) }), response: { 200: entrySchema } } },
      async (req) => {
        const dir = hub.directory;
        const p = dir.person(req.params.person);
        if (p === undefined) throw new HubError('HUB_ERR_NOT_FOUND', `person: unknown person ${req.params.person}`, { status: 404 });
        return entryFor(dir, watcherOf(req.principal!), p);
      },
    );
  };
}
