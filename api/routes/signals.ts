import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { signalInputSchema } from '../../core/model/signal.ts';
import { HubError, isHubError } from '../../core/errors.ts';
import type { RouteContext } from '../app.ts';

const MAX_BATCH = 10_000;
const problem = z.object({ type: z.string(), title: z.string(), status: z.number(), detail: z.string(), code: z.string() });

export function signalRoutes({ hub }: RouteContext) {
  return async (app: FastifyInstance): Promise<void> => {
    app.withTypeProvider<ZodTypeProvider>().post(
      '/v1/signals',
      {
        config: { access: ['publisher', 'admin'] },
        // Validated by the ingest (all or nothing, errors naming the field); the schema documents it.
        validatorCompiler: () => (data) => ({ value: data }),
        schema: {
          summary: 'Submit one signal or an array of signals',
          description: '202 only after the batch is durably queued. Any invalid item refuses the whole request (400); an unknown person or identity gives 422.',
          body: z.union([signalInputSchema, z.array(signalInputSchema).max(MAX_BATCH)]),
          response: { 202: z.object({ accepted: z.number().int() }), 400: problem, 422: problem, 503: problem },
        },
      },
      async (req, reply) => {
        const body = req.body as unknown;
        const single = !Array.isArray(body);
        const items: unknown[] = single ? [body] : (body as unknown[]);
        if (items.length > MAX_BATCH) throw new HubError('HUB_ERR_SIGNAL_INVALID', `body: at most ${MAX_BATCH} signals per request, got ${items.length}`, { status: 413 });
        if (!hub.pipeline.ready()) {
          throw new HubError('HUB_ERR_UNAVAILABLE', 'the hub cannot queue signals durably right now; retry later', { status: 503, kind: 'transient', retryAfterMs: 2000 });
        }
        try {
          const res = await hub.ingest.submit(items, { single });
          hub.metrics.signalsAccepted.inc({ via: 'api' }, res.accepted);
          return reply.code(202).send(res);
        } catch (e) {
          if (isHubError(e)) hub.metrics.signalsRefused.inc({ reason: e.code });
          throw e;
        }
      },
    );
  };
}
