import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { personIdSchema, type Person } from '../../core/model/person.ts';
import { HubError } from '../../core/errors.ts';
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

/**
 * A directory entry as a watcher may see it: identities only to personal and team, teams to company.
 * A blocked watcher gets the company entry (it is a person in the directory, else it would not be
 * listed), as for anyone in its company: neither the entry nor a search (`q` matches what the entry
 * shows) tells it that it is blocked (docs/architecture.md "Views by container"). It never gets identities.
 */
export function entryFor(dir: Directory, w: WatcherIdentity, p: Person): Entry {
  let c = containerOf(dir, w, p.id);
  if (c === 'blocked') c = w.person !== undefined && dir.has(w.person) ? 'company' : 'public';
  const e: Entry = { id: p.id };
  if (p.name !== undefined) e.name = p.name;
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
        config: { access: ['watcher', 'helpdesk', 'admin'] },
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
    r.put(
      '/v1/people/:person/relationships',
      {
        config: { access: ['watcher', 'admin'] },
        schema: {
          summary: "Edit a person's personal and blocked lists (the person themself or an admin)",
          params: z.object({ person: z.string().min(1).max(128) }),
          body: z.strictObject({ personal: z.array(personIdSchema).max(10_000).default([]), blocked: z.array(personIdSchema).max(10_000).default([]) }),
          response: { 200: z.object({ id: z.string(), personal: z.array(z.string()), blocked: z.array(z.string()) }) },
        },
      },
      async (req) => {
        const principal = req.principal!;
        const { person } = req.params;
        if (!principal.roles.has('admin') && principal.person !== person) {
          throw new HubError('HUB_ERR_FORBIDDEN', `key ${principal.name} may only edit its own person's relationships`, { status: 403 });
        }
        if (!hub.directory.has(person)) throw new HubError('HUB_ERR_NOT_FOUND', `person: unknown person ${person}`, { status: 404 });
        const unknown = [...req.body.personal, ...req.body.blocked].find((p) => !hub.directory.has(p));
        if (unknown !== undefined) throw new HubError('HUB_ERR_UNKNOWN_PERSON', `relationships: unknown person ${unknown}`, { status: 422 });
        const p = await hub.setRelationships(person, req.body);
        return { id: p.id, personal: [...p.personal], blocked: [...p.blocked] };
      },
    );
    r.get(
      '/v1/people/:person',
      { config: { access: ['watcher', 'helpdesk', 'admin'] }, schema: { summary: 'One directory entry', params: z.object({ person: z.string().min(1).max(128) }), response: { 200: entrySchema } } },
      async (req) => {
        const dir = hub.directory;
        const p = dir.person(req.params.person);
        if (p === undefined) throw new HubError('HUB_ERR_NOT_FOUND', `person: unknown person ${req.params.person}`, { status: 404 });
        return entryFor(dir, watcherOf(req.principal!), p);
      },
    );
  };
}
