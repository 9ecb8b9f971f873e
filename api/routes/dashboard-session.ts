import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { RouteContext } from '../app.ts';
import { KeyRing, type Principal } from '../auth.ts';
import { sendProblem } from '../problem.ts';
import { clearSessionCookie, SESSION_COOKIE, setSessionCookie } from '../session.ts';

const whoSchema = z.object({
  name: z.string(),
  roles: z.array(z.string()),
  person: z.string().optional(),
  /** No keys are configured: the hub is on loopback only and needs no sign-in. */
  open: z.boolean(),
  expiresAt: z.string().optional(),
});

const who = (p: Principal, expiresAt?: number): z.infer<typeof whoSchema> => ({
  name: p.name,
  roles: [...p.roles],
  ...(p.person !== undefined ? { person: p.person } : {}),
  open: p.open,
  ...(expiresAt !== undefined ? { expiresAt: new Date(expiresAt).toISOString() } : {}),
});

/** The dashboard's sign-in: an API key exchanged for a session cookie (api/session.ts). */
export function sessionRoutes({ loaded, clock }: RouteContext) {
  const keys = new KeyRing(loaded.config.auth.keys);
  return async (app: FastifyInstance): Promise<void> => {
    const r = app.withTypeProvider<ZodTypeProvider>();
    r.post(
      '/v1/session',
      {
        config: { access: 'public' },
        schema: {
          summary: 'Sign in: exchange an API key for a session cookie (HttpOnly, SameSite=Strict, Secure over TLS)',
          body: z.strictObject({ key: z.string().min(1).max(512) }),
          response: { 200: whoSchema },
        },
      },
      async (req, reply) => {
        if (app.authFailures.refuse(req, reply)) return reply;
        const p = keys.find(req.body.key);
        if (p === undefined) {
          app.authFailures.fail(req.ip);
          return sendProblem(reply, 401, 'HUB_ERR_UNAUTHORIZED', 'key: unknown key');
        }
        const s = app.sessions.issue(p);
        setSessionCookie(req, reply, s.value, s.expiresAt);
        return who(p, s.expiresAt);
      },
    );
    r.get('/v1/session', { config: { access: [] }, schema: { summary: 'Who is signed in: name, roles, person', response: { 200: whoSchema } } }, async (req, reply) => {
      const cookie = req.cookies[SESSION_COOKIE];
      const s = cookie === undefined ? undefined : app.sessions.verify(cookie);
      // Sliding renewal: a wall screen that keeps asking stays signed in.
      if (s !== undefined && s.expiresAt - clock.now() < app.sessions.ttlMs / 2) {
        const fresh = app.sessions.issue(s.principal);
        await app.sessions.revoke(cookie!);
        setSessionCookie(req, reply, fresh.value, fresh.expiresAt);
        return who(req.principal!, fresh.expiresAt);
      }
      return who(req.principal!, s?.expiresAt);
    });
    r.delete('/v1/session', { config: { access: 'public' }, schema: { summary: 'Sign out: end the session and delete its cookie' } }, async (req, reply) => {
      const cookie = req.cookies[SESSION_COOKIE];
      if (cookie !== undefined) await app.sessions.revoke(cookie);
      clearSessionCookie(reply);
      return reply.code(204).send();
    });
  };
}
