import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Role } from '../core/config/schema.ts';
import type { ConnectorStore } from '../core/connector/contract.ts';
import type { Notices } from '../core/pipeline/ports.ts';
import { SharedRecord } from '../core/pipeline/shared-record.ts';
import { HubError } from '../core/errors.ts';
import type { Logger } from '../core/util/logger.ts';
import type { Principal } from './auth.ts';

export const SESSION_COOKIE = 'ph_session';
const DAY = 24 * 3600_000;

interface KeyEntry {
  readonly principal: Principal;
  readonly mac: Buffer;
}

/**
 * Dashboard sessions: an API key exchanged once for an HttpOnly cookie, so the key is not kept in
 * the page. The cookie is `id.name.expiry.mac`, a random 32-byte id signed with HMAC-SHA256 under a
 * key derived from the API key's own secret. The hub keeps no table of sessions, so a session
 * survives a hub restart (the board reconnects by itself) and works on every node in Redis mode;
 * rotating an API key ends its sessions. Logout revokes the id (until the session would expire)
 * and deletes the cookie in the browser. With a `shared` store the revocations are shared state
 * (core/pipeline/shared-record.ts): kept in Redis or the embedded `dataDir`, announced to every
 * node, so a cookie signed out on node 1 is refused by node 2 and after a restart.
 */
export class SessionStore {
  private readonly byName = new Map<string, KeyEntry>();
  private readonly revoked = new Map<string, number>();
  private readonly shared: SharedRecord | undefined;

  constructor(
    keys: readonly { name: string; secret: string; roles: readonly Role[]; person?: string }[],
    private readonly opts: { now: () => number; ttlMs?: number; shared?: { store: ConnectorStore; notices?: Notices; log: Logger } },
  ) {
    const sh = opts.shared;
    this.shared =
      sh === undefined
        ? undefined
        : new SharedRecord({
            store: sh.store,
            ...(sh.notices !== undefined ? { notices: sh.notices } : {}),
            topic: 'revocations',
            log: sh.log,
            onChange: (entries) => {
              for (const [id, exp] of entries) if (Number(exp) > this.opts.now()) this.revoked.set(id, Number(exp));
            },
          });
    for (const k of keys) {
      const principal: Principal = { name: k.name, roles: new Set(k.roles), open: false, ...(k.person !== undefined ? { person: k.person } : {}) };
      this.byName.set(k.name, { principal, mac: createHmac('sha256', k.secret).update('presence-hub session v1').digest() });
    }
  }

  get ttlMs(): number {
    return this.opts.ttlMs ?? DAY;
  }

  issue(p: Principal): { value: string; expiresAt: number } {
    const k = this.byName.get(p.name);
    if (k === undefined) throw new Error(`no key named ${p.name}`);
    const id = randomBytes(32).toString('base64url');
    const expiresAt = this.opts.now() + this.ttlMs;
    const body = `${id}.${Buffer.from(p.name).toString('base64url')}.${expiresAt}`;
    return { value: `${body}.${this.sign(k, body)}`, expiresAt };
  }

  /** The principal of a valid cookie value, with its expiry; undefined for anything else. */
  verify(value: string): { principal: Principal; id: string; expiresAt: number } | undefined {
    const parts = value.split('.');
    if (parts.length !== 4) return undefined;
    const [id, name64, exp, mac] = parts as [string, string, string, string];
    const k = this.byName.get(Buffer.from(name64, 'base64url').toString());
    const expiresAt = Number(exp);
    if (k === undefined || !Number.isSafeInteger(expiresAt) || expiresAt <= this.opts.now()) return undefined;
    const want = Buffer.from(this.sign(k, `${id}.${name64}.${exp}`));
    const got = Buffer.from(mac);
    if (got.length !== want.length || !timingSafeEqual(got, want)) return undefined;
    if (this.revoked.has(id)) return undefined;
    return { principal: k.principal, id, expiresAt };
  }

  private sign(k: KeyEntry, body: string): string {
    return createHmac('sha256', k.mac).update(body).digest('base64url');
  }

  /** Reads the revocations made so far (on any node, before a restart), then follows them. */
  async start(): Promise<void> {
    await this.shared?.start();
  }

  stop(): void {
    this.shared?.stop();
  }

  /** Refused here at once; stored for every node before it resolves (503 when it cannot be). */
  async revoke(value: string): Promise<void> {
    const s = this.verify(value);
    if (s === undefined) return;
    const now = this.opts.now();
    const expired = [...this.revoked].filter(([, exp]) => exp <= now).map(([id]) => id);
    for (const id of expired) this.revoked.delete(id);
    this.revoked.set(s.id, s.expiresAt);
    if (this.shared === undefined) return;
    try {
      await this.shared.set([[s.id, String(s.expiresAt)]]);
      if (expired.length > 0) await this.shared.delete(expired);
    } catch (e) {
      throw new HubError('HUB_ERR_UNAVAILABLE', 'session: signed out on this node only; the sign-out could not be shared now, try again', { kind: 'transient', status: 503, retryAfterMs: 2000, cause: e });
    }
  }

  /**
   * The session principal of a request, if it carries a valid cookie. A state-changing request
   * from another origin is refused even with a valid cookie (SameSite=Strict already stops
   * browsers from sending it; this also covers older browsers).
   */
  fromRequest(req: FastifyRequest): Principal | undefined {
    const value = req.cookies?.[SESSION_COOKIE];
    if (value === undefined || value === '') return undefined;
    if (req.method !== 'GET' && req.method !== 'HEAD' && !sameOrigin(req)) return undefined;
    return this.verify(value)?.principal;
  }
}

function sameOrigin(req: FastifyRequest): boolean {
  const origin = req.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === req.headers.host;
  } catch {
    return false;
  }
}

/** Secure when the page came over TLS (directly or through a TLS-terminating proxy). */
export function setSessionCookie(req: FastifyRequest, reply: FastifyReply, value: string, expiresAt: number): void {
  const secure = req.protocol === 'https' || req.headers['x-forwarded-proto'] === 'https';
  reply.setCookie(SESSION_COOKIE, value, { httpOnly: true, sameSite: 'strict', secure, path: '/', expires: new Date(expiresAt) });
}

export function clearSessionCookie(reply: FastifyReply): void {
  reply.clearCookie(SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'strict' });
}

declare module 'fastify' {
  interface FastifyInstance {
    sessions: SessionStore;
  }
}
