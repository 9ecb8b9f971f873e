import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * HTTP digest authentication as SIP uses it (RFC 3261 section 22.4, RFC 2617 section 3.2,
 * algorithms MD5 / MD5-sess / SHA-256 of RFC 8760). qop=auth only; auth-int is not offered.
 * The password never appears in a header, a log line or an error.
 */
export interface Challenge {
  readonly realm: string;
  readonly nonce: string;
  readonly opaque?: string;
  readonly algorithm: string;
  readonly qop: readonly string[];
  readonly stale: boolean;
}

/** Parses `Digest realm="x", nonce="y", qop="auth,auth-int"` (auth-param list, quoted or token values). */
export function parseAuthParams(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*([A-Za-z]+)\s+(.*)$/s.exec(header);
  if (m === null) return { scheme: header.trim().toLowerCase(), params: {} };
  const params: Record<string, string> = {};
  const re = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]*))\s*(?:,|$)/g;
  let p: RegExpExecArray | null;
  let guard = 0;
  while ((p = re.exec(m[2]!)) !== null && guard++ < 64) {
    params[p[1]!.toLowerCase()] = p[2] !== undefined ? p[2].replace(/\\(.)/g, '$1') : (p[3] ?? '');
    if (p[0] === '') break;
  }
  return { scheme: m[1]!.toLowerCase(), params };
}

export function parseChallenge(header: string): Challenge | undefined {
  const { scheme, params } = parseAuthParams(header);
  if (scheme !== 'digest' || params.realm === undefined || params.nonce === undefined) return undefined;
  return {
    realm: params.realm,
    nonce: params.nonce,
    algorithm: (params.algorithm ?? 'MD5').toUpperCase(),
    qop: (params.qop ?? '').split(',').map((q) => q.trim().toLowerCase()).filter((q) => q !== ''),
    stale: (params.stale ?? '').toLowerCase() === 'true',
    ...(params.opaque !== undefined ? { opaque: params.opaque } : {}),
  };
}

function hashFor(algorithm: string): (s: string) => string {
  const name = algorithm.startsWith('SHA-256') ? 'sha256' : 'md5';
  return (s) => createHash(name).update(s, 'utf8').digest('hex');
}

export function supportedAlgorithm(a: string): boolean {
  return ['MD5', 'MD5-SESS', 'SHA-256', 'SHA-256-SESS'].includes(a.toUpperCase());
}

export function digestResponse(o: { algorithm: string; username: string; password: string; realm: string; nonce: string; method: string; uri: string; qop?: string; nc?: string; cnonce?: string }): string {
  const h = hashFor(o.algorithm);
  let ha1 = h(`${o.username}:${o.realm}:${o.password}`);
  if (o.algorithm.endsWith('-SESS')) ha1 = h(`${ha1}:${o.nonce}:${o.cnonce ?? ''}`);
  const ha2 = h(`${o.method}:${o.uri}`);
  return o.qop !== undefined ? h(`${ha1}:${o.nonce}:${o.nc}:${o.cnonce}:${o.qop}:${ha2}`) : h(`${ha1}:${o.nonce}:${ha2}`);
}

const q = (s: string): string => `"${s.replace(/(["\\])/g, '\\$1')}"`;

/** The Authorization / Proxy-Authorization value answering a challenge. */
export function authorize(c: Challenge, cred: { username: string; password: string }, method: string, uri: string, nc = 1): string | undefined {
  if (!supportedAlgorithm(c.algorithm)) return undefined;
  const qop = c.qop.includes('auth') ? 'auth' : undefined;
  if (qop === undefined && c.qop.length > 0) return undefined; // only auth-int offered
  const cnonce = randomBytes(8).toString('hex');
  const ncs = nc.toString(16).padStart(8, '0');
  const response = digestResponse({ algorithm: c.algorithm, username: cred.username, password: cred.password, realm: c.realm, nonce: c.nonce, method, uri, ...(qop ? { qop, nc: ncs, cnonce } : {}) });
  const parts = [`username=${q(cred.username)}`, `realm=${q(c.realm)}`, `nonce=${q(c.nonce)}`, `uri=${q(uri)}`, `response=${q(response)}`, `algorithm=${c.algorithm}`];
  if (qop) parts.push(`qop=${qop}`, `nc=${ncs}`, `cnonce=${q(cnonce)}`);
  if (c.opaque !== undefined) parts.push(`opaque=${q(c.opaque)}`);
  return `Digest ${parts.join(', ')}`;
}

/** Server side, for the simulator: checks an Authorization value against known passwords. */
export function verifyAuthorization(header: string | undefined, o: { method: string; realm: string; nonces: ReadonlySet<string>; passwords: ReadonlyMap<string, string> }): boolean {
  if (header === undefined) return false;
  const { scheme, params } = parseAuthParams(header);
  if (scheme !== 'digest' || params.realm !== o.realm || params.nonce === undefined || !o.nonces.has(params.nonce)) return false;
  const password = o.passwords.get(params.username ?? '');
  if (password === undefined || params.uri === undefined || params.response === undefined) return false;
  const want = digestResponse({
    algorithm: (params.algorithm ?? 'MD5').toUpperCase(),
    username: params.username!,
    password,
    realm: o.realm,
    nonce: params.nonce,
    method: o.method,
    uri: params.uri,
    ...(params.qop !== undefined ? { qop: params.qop, nc: params.nc ?? '', cnonce: params.cnonce ?? '' } : {}),
  });
  const a = Buffer.from(want);
  const b = Buffer.from(params.response);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function newNonce(): string {
  return randomBytes(12).toString('hex');
}
