import type { FastifyInstance } from 'fastify';
import type { RouteContext } from '../app.ts';
import { sendProblem } from '../problem.ts';

export function healthRoutes({ hub }: RouteContext) {
  return async (app: FastifyInstance): Promise<void> => {
    app.get('/healthz', { config: { access: 'public' }, schema: { summary: 'Liveness' } }, async () => ({ status: 'ok' }));
    app.get('/readyz', { config: { access: [] }, schema: { summary: 'Readiness: the pipeline can accept signals' } }, async (_req, reply) => {
      if (!hub.pipeline.ready()) return sendProblem(reply, 503, 'HUB_ERR_UNAVAILABLE', 'pipeline: not ready', { 'retry-after': '2' });
      return { status: 'ready', mode: hub.pipeline.mode, node: hub.nodeId };
    });
    app.get('/metrics', { config: { access: ['admin'] }, schema: { summary: 'Prometheus metrics' } }, async (_req, reply) => {
      const q = await hub.pipeline.queue.stats();
      hub.metrics.queueDepth.set(await hub.pipeline.queue.depth());
      hub.metrics.queueOldestWaiting.set((q.oldestWaitingMs ?? 0) / 1000);
      hub.metrics.queueRetrying.set(q.retrying);
      hub.metrics.queueDeadLetters.set(q.deadLetters);
      for (const [id, s] of hub.supervisors) {
        const h = s.health();
        hub.metrics.connectorUp.set({ connector: id, kind: s.kind }, h.state === 'running' ? 1 : 0);
        for (const [counter, v] of Object.entries(h.counts)) hub.metrics.connectorEvents.set({ connector: id, counter }, v);
        for (const [figure, v] of Object.entries(h.publishing ?? {})) hub.metrics.publishing.set({ connector: id, figure }, v);
      }
      reply.type(hub.metrics.registry.contentType);
      return hub.metrics.registry.metrics();
    });
  };
}
