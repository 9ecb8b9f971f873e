import { isUtf8 } from 'node:buffer';
import Fastify, { LogController, type FastifyInstance } from 'fastify';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { jsonSchemaTransform, validatorCompiler, type ZodTypeProvider } from 'fastify-type-provider-zod';
import type { LoadedConfig } from '../core/config/load.ts';
import type { Hub } from '../core/hub.ts';
import type { Clock } from '../core/util/clock.ts';
import { HubError } from '../core/errors.ts';
import type { Logger } from '../core/util/logger.ts';
import { bearer, KeyRing, OPEN_PRINCIPAL, RateLimiter } from './auth.ts';
import { AuthFailureLimiter } from './auth-failures.ts';
import { openModeRefusal } from './open-mode.ts';
import { errorHandler, sendProblem } from './problem.ts';
import { adminRoutes } from './routes/admin.ts';
import { auditRoutes } from './routes/audit.ts';
import { timelineRoutes } from './routes/timeline.ts';
import { explainRoutes } from './routes/explain.ts';
import { healthRoutes } from './routes/health.ts';
import { peopleRoutes } from './routes/people.ts';
import { pipelineRoutes } from './routes/pipeline.ts';
import { presenceRoutes } from './routes/presence.ts';
import { routeRoutes } from './routes/route.ts';
import { signalRoutes } from './routes/signals.ts';
import { streamRoutes } from './routes/stream.ts';
import { triggerRoutes } from './routes/triggers.ts';
import { webhookRoutes } from './routes/webhooks.ts';
import { redactor } from '../core/util/redact.ts';
import { SessionStore } from './session.ts';

export interface AppDeps {
  readonly hub: Hub;
  readonly loaded: LoadedConfig;
  readonly log: Logger;
  readonly clock: Clock;
  /** Extra route plugins (the dashboard), registered after the API. */
  readonly plugins?: readonly ((app: FastifyInstance) => Promise<void>)[];
}

/** Builds the HTTP API without listening (tests use `inject`); `server.ts` listens. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  return (await build(deps)) as unknown as FastifyInstance;
}

async function build(deps: AppDeps) {
  const { hub, loaded, log } = deps;
  const cfg = loaded.config.server;
  const app = Fastify({
    loggerInstance: log.child({ component: 'http' }),
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: cfg.bodyLimit,
    requestTimeout: cfg.requestTimeout,
    connectionTimeout: cfg.requestTimeout,
    // Given to http.createServer as well: Node applies a requestTimeout set after construction (as
    // Fastify does) to the headers only, so a client trickling its body was never cut. Node checks
    // timeouts every connectionsCheckingInterval (30 s by default): often enough to cut near the limit.
    http: {
      requestTimeout: cfg.requestTimeout,
      headersTimeout: Math.min(60_000, cfg.requestTimeout),
      connectionsCheckingInterval: Math.min(30_000, Math.max(100, Math.floor(cfg.requestTimeout / 4))),
    },
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  // Responses are built from typed values; the schemas document them (OpenAPI) without re-validating.
  app.setSerializerCompiler(() => (data) => JSON.stringify(data));
  app.setErrorHandler(errorHandler(log));
  // JSON must be UTF-8 (RFC 8259 section 8.1). The default parser decodes invalid bytes to U+FFFD and
  // would store them; this one refuses them, then parses with Fastify's own (prototype-poisoning safe) parser.
  const json = app.getDefaultJsonParser('error', 'error');
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, (req, body, done) => {
    const buf = body as Buffer;
    if (!isUtf8(buf)) return done(new HubError('HUB_ERR_INVALID_JSON', 'body: not valid UTF-8', { status: 400 }), undefined);
    json(req, buf.toString('utf8'), done);
  });
  app.setNotFoundHandler((req, reply) => sendProblem(reply, 404, 'HUB_ERR_NOT_FOUND', `no route ${req.method} ${req.url.split('?')[0]}`));

  const keys = new KeyRing(loaded.config.auth.keys);
  const limiter = new RateLimiter(cfg.rateLimit, () => deps.clock.now());
  const redact = redactor(loaded.secrets);
  // A dashboard session cookie counts as the key it was exchanged for (api/session.ts).
  // Revocations are shared by every node and kept across restarts where the pipeline keeps state.
  const sessionStore = deps.hub.pipeline.connectorStore?.('hub:sessions');
  const sessions = new SessionStore(loaded.config.auth.keys, {
    now: () => deps.clock.now(),
    ...(sessionStore !== undefined
      ? { shared: { store: sessionStore, log: deps.log, ...(deps.hub.pipeline.notices !== undefined ? { notices: deps.hub.pipeline.notices } : {}) } }
      : {}),
  });
  await sessions.start();
  app.addHook('onClose', async () => sessions.stop());
  app.decorate('sessions', sessions);
  const failures = new AuthFailureLimiter(cfg.authFailureLimit, () => deps.clock.now());
  app.decorate('authFailures', failures);
  await app.register(cookie);

  // Every route must declare who may call it: a route without a rule is a bug, refused at start.
  app.addHook('onRoute', (route) => {
    if (route.url.startsWith('/docs')) return;
    const access = route.config?.access;
    if (access !== undefined) {
      // The OpenAPI document says who may call each operation.
      const who = access === 'public' ? 'no key needed' : access.length === 0 ? 'any valid key' : `roles: ${access.join(', ')}`;
      if (route.schema !== undefined && route.schema.hide !== true) route.schema = { ...route.schema, description: [route.schema.description, `Access: ${who}.`].filter(Boolean).join('\n\n') };
      return;
    }
    throw new Error(`route ${route.method} ${route.url} has no access rule`);
  });

  app.addHook('onRequest', async (req, reply) => {
    // Open mode trusts local callers only: not a web page reaching 127.0.0.1 (api/open-mode.ts).
    if (keys.open) {
      const refused = openModeRefusal(req);
      if (refused !== undefined) return sendProblem(reply, 403, 'HUB_ERR_FORBIDDEN_ORIGIN', refused);
    }
    const access = req.routeOptions.config.access;
    if (access === 'public') return;
    let principal = OPEN_PRINCIPAL;
    if (!keys.open) {
      if (failures.refuse(req, reply)) return reply;
      const token = bearer(req);
      const found = token === undefined ? sessions.fromRequest(req) : keys.find(token);
      if (found === undefined) {
        // A presented key that is wrong is a guess; no key at all is not.
        if (token !== undefined) failures.fail(req.ip);
        return sendProblem(reply, 401, 'HUB_ERR_UNAUTHORIZED', token === undefined ? 'authorization: a Bearer key is required' : 'authorization: unknown key', {
          'www-authenticate': 'Bearer realm="presence-hub"',
        });
      }
      principal = found;
    }
    req.principal = principal;
    const roles = access ?? [];
    if (roles.length > 0 && !roles.some((r) => principal.roles.has(r))) {
      return sendProblem(reply, 403, 'HUB_ERR_FORBIDDEN', `key ${principal.name} lacks a role for this call (needs ${roles.join(' or ')})`);
    }
    const wait = limiter.take(principal.name);
    if (wait > 0) {
      return sendProblem(reply, 429, 'HUB_ERR_RATE_LIMITED', `key ${principal.name} exceeds ${cfg.rateLimit} requests per second`, {
        'retry-after': String(Math.max(1, Math.ceil(wait / 1000))),
      });
    }
  });

  // Secrets never leave in an answer, whatever put them there.
  app.addHook('onSend', async (_req, _reply, payload) => (typeof payload === 'string' ? redact(payload) : payload));

  await app.register(swagger, {
    openapi: {
      info: { title: 'Presence Hub API', version: '1', description: 'Presence Hub public contract, version 1 (see docs/architecture.md).' },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  app.get('/openapi.json', { config: { access: [] }, schema: { hide: true } }, async () => app.swagger());

  const ctx = { hub, loaded, log, clock: deps.clock };
  await app.register(namedPlugin('health-routes', healthRoutes(ctx)));
  await app.register(namedPlugin('signal-routes', signalRoutes(ctx)));
  await app.register(namedPlugin('presence-routes', presenceRoutes(ctx)));
  await app.register(namedPlugin('route-routes', routeRoutes(ctx)));
  await app.register(namedPlugin('stream-routes', streamRoutes(ctx)));
  await app.register(namedPlugin('webhook-routes', webhookRoutes(ctx)));
  await app.register(namedPlugin('trigger-routes', triggerRoutes(ctx)));
  await app.register(namedPlugin('people-routes', peopleRoutes(ctx)));
  await app.register(namedPlugin('admin-routes', adminRoutes(ctx)));
  await app.register(namedPlugin('explain-routes', explainRoutes(ctx)));
  await app.register(namedPlugin('pipeline-routes', pipelineRoutes(ctx)));
  await app.register(namedPlugin('audit-routes', auditRoutes(ctx)));
  await app.register(namedPlugin('timeline-routes', timelineRoutes(ctx)));
  for (const p of deps.plugins ?? []) await app.register(p);
  return app;
}

/**
 * Gives a route plugin its name. Fastify names an unnamed plugin by looking for it among the exports
 * of every loaded CommonJS module (require.cache), twice per register: with the hub's dependencies
 * loaded that walk was most of the CPU of building the app.
 */
export function namedPlugin<P extends (...args: never[]) => unknown>(name: string, plugin: P): P {
  return Object.assign(plugin, { [Symbol.for('fastify.display-name')]: name });
}

export type RouteContext = { hub: Hub; loaded: LoadedConfig; log: Logger; clock: Clock };
