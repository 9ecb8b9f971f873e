import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { namedPlugin, type RouteContext } from '../app.ts';
import { sendProblem } from '../problem.ts';
import { dashboardAdminRoutes } from '../routes/dashboard-admin.ts';
import { sessionRoutes } from '../routes/dashboard-session.ts';

export const DIST = fileURLToPath(new URL('./dist', import.meta.url));

/** Everything the page may load comes from the hub itself (closed networks: no CDN, no external fonts). */
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

/**
 * The helpdesk dashboard and admin console (issue 7): the built page from `dist/` at `/`, client
 * routes falling back to `index.html`, plus the session and console calls it uses (the timeline is
 * an API route, api/routes/timeline.ts).
 */
export function dashboard(ctx: RouteContext, opts: { dist?: string } = {}) {
  const dist = opts.dist ?? DIST;
  return namedPlugin('dashboard', async (app: FastifyInstance): Promise<void> => {
    await app.register(namedPlugin('dashboard-session-routes', sessionRoutes(ctx)));
    await app.register(namedPlugin('dashboard-admin-routes', dashboardAdminRoutes(ctx)));
    await app.register(fastifyStatic, { root: dist, serve: false });

    const page = async (req: FastifyRequest, reply: FastifyReply) => {
      let path: string;
      try {
        path = decodeURIComponent((req.url.split('?')[0] ?? '/').replace(/^\/+/, ''));
      } catch {
        return sendProblem(reply, 400, 'HUB_ERR_INVALID_REQUEST', 'url: not a valid percent-encoded path');
      }
      if (/^(v1|docs|openapi\.json|healthz|readyz|metrics)(\/|$)/.test(path)) {
        return sendProblem(reply, 404, 'HUB_ERR_NOT_FOUND', `no route ${req.method} /${path}`);
      }
      reply.header('content-security-policy', CSP).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
      if (!existsSync(`${dist}/index.html`)) {
        return reply.code(503).type('text/plain').send('The dashboard is not built: run `npm run build:dashboard`.');
      }
      // Hashed assets never change under their name; the page itself is revalidated every time.
      if (path.startsWith('assets/') && !path.includes('..') && existsSync(`${dist}/${path}`)) {
        return reply.sendFile(path, { maxAge: '365d', immutable: true });
      }
      if (path !== '' && !path.includes('/') && !path.includes('..') && path.includes('.') && existsSync(`${dist}/${path}`)) {
        return reply.sendFile(path, { maxAge: '1h' });
      }
      reply.header('cache-control', 'no-cache');
      return reply.sendFile('index.html', { cacheControl: false });
    };
    app.get('/', { config: { access: 'public' }, schema: { hide: true } }, page);
    app.get('/*', { config: { access: 'public' }, schema: { hide: true } }, page);
  });
}
