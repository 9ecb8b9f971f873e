import type { FastifyReply, FastifyRequest } from 'fastify';
import { sendProblem } from './problem.ts';

/**
 * Failed authentications per client address (README "Security": key rules): `limit` failures a
 * minute, refilled continuously; past it every request from that address is answered 429 with
 * `Retry-After`, with the right key too, so that guessing stops rather than slows. The table is
 * bounded: past `maxAddresses` the address seen least recently is forgotten, so many spoofed or
 * rotating addresses cannot grow the hub's memory.
 *
 * Behind a reverse proxy every client has the proxy's address: the limit then holds for all clients
 * together (a guessing client locks out the others for a minute); rate-limit on the proxy as well.
 */
export class AuthFailureLimiter {
  private readonly byAddress = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly limit: number,
    private readonly now: () => number,
    private readonly maxAddresses = 10_000,
  ) {}

  /** Milliseconds until `address` may try again; 0 when it may now. */
  wait(address: string): number {
    if (this.limit <= 0) return 0;
    const b = this.refilled(address);
    return b === undefined || b.tokens >= 1 ? 0 : Math.ceil(((1 - b.tokens) * 60_000) / this.limit);
  }

  /** Counts one failed authentication from `address`. */
  fail(address: string): void {
    if (this.limit <= 0) return;
    const b = this.refilled(address) ?? { tokens: this.limit, at: this.now() };
    b.tokens = Math.max(0, b.tokens - 1);
    this.byAddress.delete(address);
    this.byAddress.set(address, b);
    if (this.byAddress.size > this.maxAddresses) {
      const oldest = this.byAddress.keys().next().value;
      if (oldest !== undefined) this.byAddress.delete(oldest);
    }
  }

  private refilled(address: string): { tokens: number; at: number } | undefined {
    const b = this.byAddress.get(address);
    if (b === undefined) return undefined;
    const t = this.now();
    b.tokens = Math.min(this.limit, b.tokens + ((t - b.at) / 60_000) * this.limit);
    b.at = t;
    if (b.tokens >= this.limit) this.byAddress.delete(address);
    return b;
  }

  /** Answers 429 when `req`'s address is over the limit; true when it did. */
  refuse(req: FastifyRequest, reply: FastifyReply): boolean {
    const wait = this.wait(req.ip);
    if (wait <= 0) return false;
    void sendProblem(reply, 429, 'HUB_ERR_AUTH_RATE_LIMITED', `authorization: too many failed authentications from this address (limit ${this.limit} a minute); retry later`, {
      'retry-after': String(Math.max(1, Math.ceil(wait / 1000))),
    });
    return true;
  }
}

declare module 'fastify' {
  interface FastifyInstance {
    authFailures: AuthFailureLimiter;
  }
}
