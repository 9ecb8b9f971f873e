import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { HubError } from '../../core/errors.ts';
import type { RouteContext } from '../app.ts';
import { actor } from './audit.ts';
import { iso } from './json.ts';

/**
 * The queue as an admin sees it (issue "High availability"): depth, the age of the oldest batch
 * waiting, the batches waiting for a retry, and the dead letters with their reasons; a dead letter
 * is replayed by id. In Redis mode every node answers for the whole cluster (the queue is shared).
 */
export function pipelineRoutes({ hub }: RouteContext) {
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.get(
      '/v1/pipeline',
      {
        config: { access: ['admin'] },
        schema: {
          summary: 'Queue depth, oldest waiting age, retries and dead letters (with their reasons)',
          querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }),
        },
      },
      async (req) => {
        const q = hub.pipeline.queue;
        const [stats, dead] = await Promise.all([q.stats(), q.deadLetters(req.query.limit)]);
        return {
          mode: hub.pipeline.mode,
          node: hub.nodeId,
          ready: hub.pipeline.ready(),
          depth: stats.depth,
          oldestWaitingMs: stats.oldestWaitingMs ?? null,
          retrying: stats.retrying,
          deadLetterCount: stats.deadLetters,
          deadLetters: dead.map((d) => ({ id: d.id, reason: d.reason, code: d.code, signals: d.signals, attempts: d.attempts, failedAt: iso(d.failedAt), acceptedAt: iso(d.acceptedAt) })),
        };
      },
    );
    r.post(
      '/v1/pipeline/dead-letters/:id/replay',
      {
        config: { access: ['admin'] },
        schema: { summary: 'Queue a dead-lettered batch again', params: z.object({ id: z.string().min(1).max(128) }) },
      },
      async (req, reply) => {
        if (!(await hub.pipeline.queue.replay(req.params.id))) throw new HubError('HUB_ERR_NOT_FOUND', `id: no dead letter ${req.params.id}`, { status: 404 });
        hub.deps.log.info({ deadLetter: req.params.id }, 'dead letter replayed by an admin');
        await hub.audit.record({ by: actor(req), action: 'dead-letter.replay', target: req.params.id });
        return reply.code(202).send({ replayed: req.params.id });
      },
    );
  };
}
