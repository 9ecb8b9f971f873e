import { readFile, rename, writeFile } from 'node:fs/promises';
import type { Clock } from '../../core/util/clock.ts';
import { HubError } from '../../core/errors.ts';
import { boundedRetryAfter } from './graph-client.ts';
import { parseGraph, tokenErrorSchema, tokenResponseSchema } from './schemas.ts';

/** What the Graph client asks for before every request. */
export interface TokenSource {
  getToken(): Promise<string>;
  /** Forgets the cached access token (after a 401), so the next request fetches a new one. */
  invalidate(): void;
}

/** Token endpoint of the global cloud; national clouds and the simulator configure their own. */
export function defaultTokenEndpoint(tenantId: string): string {
  return `https://login.microsoftonline.com/${encodeURIComponent(tenantId)}/oauth2/v2.0/token`;
}

/** `https://graph.microsoft.com/.default`: the application permissions granted to the app (client credentials flow). */
export function defaultScope(graphBaseUrl: string): string {
  return `${new URL(graphBaseUrl).origin}/.default`;
}

/**
 * Errors the token endpoint returns for credentials that will not work by retrying: RFC 6749
 * section 5.2, plus what Entra adds (reference-aadsts-error-codes "Handling error codes"):
 * `invalid_resource` (no such API in the tenant), and for a refresh token `interaction_required`,
 * `consent_required`, `login_required` (MFA, Conditional Access or consent: someone must sign the
 * account in again). `temporarily_unavailable` (and anything unknown) is transient.
 */
const PERMANENT_OAUTH_ERRORS = new Set(['invalid_client', 'unauthorized_client', 'invalid_grant', 'invalid_scope', 'unsupported_grant_type', 'invalid_request', 'invalid_resource', 'interaction_required', 'consent_required', 'login_required']);

type TokenReply = { accessToken: string; expiresAt: number; refreshToken?: string; refreshExpiresAt?: number };

/** One POST to the token endpoint; errors classified, secrets never in the messages. */
async function requestToken(endpoint: string, form: Record<string, string>, clock: Clock, timeoutMs: number): Promise<TokenReply> {
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams(form).toString(),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (e) {
    throw new HubError('HUB_ERR_GRAPH_UNREACHABLE', `token endpoint ${new URL(endpoint).host} unreachable: ${(e as Error).name}`, { kind: 'transient', cause: e });
  }
  const text = await res.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (res.status === 429) {
    throw new HubError('HUB_ERR_GRAPH_THROTTLED', 'token endpoint throttled', { kind: 'throttled', retryAfterMs: boundedRetryAfter(res.headers.get('retry-after'), clock.now()) ?? 5000, status: 429 });
  }
  if (!res.ok) {
    const err = tokenErrorSchema.safeParse(body);
    // The AADSTS numbers name the cause; error_description is left out (trace ids, and free text).
    const aadsts = err.success && err.data.error_codes !== undefined && err.data.error_codes.length > 0 ? ` (${err.data.error_codes.map((n) => `AADSTS${n}`).join(', ')})` : '';
    const code = err.success ? `${err.data.error}${aadsts}` : `http ${res.status}`;
    const permanent = (err.success && PERMANENT_OAUTH_ERRORS.has(err.data.error)) || res.status === 401 || res.status === 403;
    throw new HubError(permanent ? 'HUB_ERR_GRAPH_AUTH' : 'HUB_ERR_GRAPH_UNREACHABLE', `token endpoint refused: ${code}`, {
      kind: permanent ? 'permanent' : 'transient',
      status: res.status,
    });
  }
  const t = parseGraph(tokenResponseSchema, body, 'token');
  const now = clock.now();
  const out: TokenReply = { accessToken: t.access_token, expiresAt: now + t.expires_in * 1000 };
  if (t.refresh_token !== undefined) out.refreshToken = t.refresh_token;
  if (t.refresh_token_expires_in !== undefined) out.refreshExpiresAt = now + t.refresh_token_expires_in * 1000;
  return out;
}

/** Renew an access token this long before it expires, so no request carries a dying token. */
const EARLY_MS = 5 * 60_000;

/**
 * OAuth 2.0 client credentials (application permissions): one cached token per provider, one
 * request in flight at a time however many callers ask.
 */
export class ClientCredentialsProvider implements TokenSource {
  private cached: TokenReply | undefined;
  private inflight: Promise<TokenReply> | undefined;
  constructor(private readonly o: { tokenEndpoint: string; clientId: string; clientSecret: string; scope: string; clock: Clock; timeoutMs?: number }) {}

  async getToken(): Promise<string> {
    const now = this.o.clock.now();
    if (this.cached !== undefined && this.cached.expiresAt - Math.min(EARLY_MS, (this.cached.expiresAt - now) / 2) > now) return this.cached.accessToken;
    this.inflight ??= requestToken(
      this.o.tokenEndpoint,
      { grant_type: 'client_credentials', client_id: this.o.clientId, client_secret: this.o.clientSecret, scope: this.o.scope },
      this.o.clock,
      this.o.timeoutMs ?? 10_000,
    ).finally(() => {
      this.inflight = undefined;
    });
    this.cached = await this.inflight;
    return this.cached.accessToken;
  }
  invalidate(): void {
    this.cached = undefined;
  }
}

/** Where a rotated refresh token is kept, so a restart does not fall back to the first (maybe expired) one. */
export interface RefreshTokenStore {
  load(): Promise<{ token: string; issuedAt: number } | undefined>;
  save(v: { token: string; issuedAt: number }): Promise<void>;
}

export class MemoryTokenStore implements RefreshTokenStore {
  private v: { token: string; issuedAt: number } | undefined;
  async load() {
    return this.v;
  }
  async save(v: { token: string; issuedAt: number }) {
    this.v = v;
  }
}

/** A JSON file readable by the hub's user only (mode 0600), written atomically. */
export class FileTokenStore implements RefreshTokenStore {
  constructor(private readonly path: string) {}
  async load() {
    try {
      const v = JSON.parse(await readFile(this.path, 'utf8')) as { token?: unknown; issuedAt?: unknown };
      return typeof v.token === 'string' && typeof v.issuedAt === 'number' ? { token: v.token, issuedAt: v.issuedAt } : undefined;
    } catch {
      return undefined;
    }
  }
  async save(v: { token: string; issuedAt: number }) {
    const tmp = `${this.path}.tmp`;
    await writeFile(tmp, JSON.stringify(v), { mode: 0o600 });
    await rename(tmp, this.path);
  }
}

/**
 * Delegated tokens for a service account (presence subscriptions accept delegated permissions
 * only: changenotifications-for-presence). The refresh token rotates on every use; the newest one
 * is saved to the store. Entra does not always say when a refresh token dies, so its age is
 * measured from its issue and `maxAgeMs` (the tenant's inactivity/lifetime policy) bounds it.
 */
export class RefreshTokenProvider implements TokenSource {
  private cached: TokenReply | undefined;
  private inflight: Promise<TokenReply> | undefined;
  private current: { token: string; issuedAt: number } | undefined;
  private refreshExpiresAt: number | undefined;
  constructor(
    private readonly o: {
      tokenEndpoint: string;
      clientId: string;
      clientSecret?: string;
      scope: string;
      initialRefreshToken: string;
      store: RefreshTokenStore;
      clock: Clock;
      maxAgeMs: number;
      timeoutMs?: number;
    },
  ) {}

  /** When the refresh token stops working if nobody uses it: shown on health before it bites. */
  refreshTokenExpiresAt(): number | undefined {
    if (this.refreshExpiresAt !== undefined) return this.refreshExpiresAt;
    return this.current === undefined ? undefined : this.current.issuedAt + this.o.maxAgeMs;
  }

  async getToken(): Promise<string> {
    const now = this.o.clock.now();
    if (this.cached !== undefined && this.cached.expiresAt - EARLY_MS > now) return this.cached.accessToken;
    this.inflight ??= this.refresh().finally(() => {
      this.inflight = undefined;
    });
    this.cached = await this.inflight;
    return this.cached.accessToken;
  }

  private async refresh(): Promise<TokenReply> {
    this.current ??= (await this.o.store.load()) ?? { token: this.o.initialRefreshToken, issuedAt: this.o.clock.now() };
    const form: Record<string, string> = { grant_type: 'refresh_token', client_id: this.o.clientId, refresh_token: this.current.token, scope: `${this.o.scope} offline_access` };
    if (this.o.clientSecret !== undefined) form.client_secret = this.o.clientSecret;
    const r = await requestToken(this.o.tokenEndpoint, form, this.o.clock, this.o.timeoutMs ?? 10_000);
    if (r.refreshToken !== undefined) {
      this.current = { token: r.refreshToken, issuedAt: this.o.clock.now() };
      this.refreshExpiresAt = r.refreshExpiresAt;
      await this.o.store.save(this.current);
    }
    return r;
  }
  invalidate(): void {
    this.cached = undefined;
  }
}
