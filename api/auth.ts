import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyRequest } from 'fastify';
import type { Role } from '../core/config/schema.ts';
import type { WatcherIdentity } from '../core/watch/watchers.ts';

export interface Principal {
  readonly name: string;
  readonly roles: ReadonlySet<Role>;
  readonly person?: string;
  /** No keys are configured: the hub is on loopback only and every caller is trusted. */
  readonly open: boolean;
}

export type RouteAccess = 'public' | readonly Role[];

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route: `public` (no key) or the roles allowed. Every route must say. */
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/** API keys compared in constant time: every key is compared, digests of equal length. */
export class KeyRing {
  private readonly keys: { name: string; digest: Buffer; roles: ReadonlySet<Role>; person?: string }[];

  constructor(keys: readonly { name: string; secret: string; roles: readonly Role[]; person?: string }[]) {
    this.keys = keys.map((k) => {
      const e: { name: string; digest: Buffer; roles: ReadonlySet<Role>; person?: string } = { name: k.name, digest: digest(k.secret), roles: new Set(k.roles) };
      if (k.person !== undefined) e.person = k.person;
      return e;
    });
  }

  get open(): boolean {
    return this.keys.length === 0;
  }

  find(secret: string): Principal | undefined {
    const d = digest(secret);
    let found: Principal | undefined;
    for (const k of this.keys) {
      if (timingSafeEqual(d, k.digest) && found === undefined) {
        found = k.person === undefined ? { name: k.name, roles: k.roles, open: false } : { name: k.name, roles: k.roles, person: k.person, open: false };
      }
    }
    return found;
  }
}

export const OPEN_PRINCIPAL: Principal = { name: 'local', roles: new Set<Role>(['admin', 'publisher', 'watcher']), open: true };

export function bearer(req: FastifyRequest): string | undefined {
  const h = req.headers.authorization;
  if (typeof h !== 'string') return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(h);
  return m?.[1];
}

export function watcherOf(p: Principal): WatcherIdentity {
  // The helpdesk answers "why does X show Away" for anyone: it sees what an admin sees, read only.
  if (p.roles.has('admin') || p.roles.has('helpdesk')) return { all: true };
  return p.person === undefined ? { all: false } : { all: false, person: p.person };
}

/** A token bucket per key: `rate` requests a second, bursts of twice that. */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();
  constructor(private readonly rate: number, private readonly now: () => number) {}

  /** 0 when allowed, else the milliseconds to wait. */
  take(key: string): number {
    if (this.rate <= 0) return 0;
    const t = this.now();
    const burst = this.rate * 2;
    const b = this.buckets.get(key) ?? { tokens: burst, at: t };
    b.tokens = Math.min(burst, b.tokens + ((t - b.at) / 1000) * this.rate);
    b.at = t;
    this.buckets.set(key, b);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      return 0;
    }
    return Math.ceil(((1 - b.tokens) / this.rate) * 1000);
  }
}
