import type { FastifyRequest } from 'fastify';

/**
 * Open mode (no keys: the demo, loopback only) trusts every local caller, so it must make sure the
 * caller is local. A web page the local user visits can reach 127.0.0.1 too: through DNS
 * rebinding (its own name re-pointed at 127.0.0.1, so the browser sends `Host: attacker.example`)
 * or with a plain cross-origin form or fetch POST. Hence: only loopback Host names and addresses,
 * and no state-changing request from another origin (the Fetch standard's Origin header, sent by
 * browsers on every cross-origin request and on every POST).
 */
const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** A Host (or Origin host) that names this machine's loopback: localhost, *.localhost, 127.x, [::1]. */
export function isLoopbackHost(host: string): boolean {
  let name = host.toLowerCase();
  // Strip the port: `[::1]:8080`, `localhost:8080`.
  const m = /^(\[[^\]]+\]|[^:]+)(?::\d{1,5})?$/.exec(name);
  if (m === null) return false;
  name = m[1]!;
  if (name.endsWith('.')) name = name.slice(0, -1);
  if (LOOPBACK_NAMES.has(name) || name.endsWith('.localhost')) return true;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(name);
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Why an open-mode request is refused, or undefined when it may go on. */
export function openModeRefusal(req: FastifyRequest): string | undefined {
  const host = req.headers.host;
  if (host === undefined || !isLoopbackHost(host)) return 'host: without API keys the hub answers only loopback host names (localhost, 127.0.0.1, [::1])';
  const origin = req.headers.origin;
  if (SAFE_METHODS.has(req.method) || origin === undefined) return undefined;
  let from: URL;
  try {
    from = new URL(origin);
  } catch {
    return 'origin: not a valid origin';
  }
  if (from.host.toLowerCase() !== host.toLowerCase()) return `origin: a ${req.method} from another origin is refused without API keys`;
  return undefined;
}
