import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { viewFor } from '../../core/model/presence.ts';
import { HubError } from '../../core/errors.ts';
import type { TimelineEntry } from '../../core/watch/timeline.ts';
import type { RouteContext } from '../app.ts';
import { iso, signalJson } from './json.ts';

function entryJson(e: TimelineEntry, baseline: number): Record<string, unknown> {
  if (e.type === 'change') return { at: iso(e.at), type: 'change', presence: viewFor(e.presence, 'personal', baseline) };
  return { at: iso(e.at), type: 'signal', outcome: e.outcome, signal: signalJson(e.signal) };
}

/** A person's timeline (admin, helpdesk): registered with the API, whether or not the dashboard is. */
export function timelineRoutes({ hub }: RouteContext) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
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
        return { person: req.params.person, entries: (await hub.timeline.entries(req.params.person)).map((e) => entryJson(e, dir.loadedAt)) };
      },
    );
  };
}
