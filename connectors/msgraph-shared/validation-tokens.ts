import { createRemoteJWKSet, jwtVerify, type JWTPayload } from 'jose';
import type { Clock } from '../../core/util/clock.ts';
import { HubError } from '../../core/errors.ts';

/**
 * Validation tokens of rich change notifications (Graph "Set up change notifications that include
 * resource data", validating the authenticity of notifications): every JWT in `validationTokens`
 * must be unexpired, signed by a key of the Microsoft identity platform (the JWKS), issued for this
 * app (`aud`), by the tenant of the notification, and by the Microsoft Graph change notification
 * publisher (`appid`, or `azp` in v2 tokens, = 0bf30f3b-4a52-48df-9a82-234910c4a086). There is one
 * token per distinct app and tenant in the `value` array.
 */
export const GRAPH_NOTIFICATION_PUBLISHER = '0bf30f3b-4a52-48df-9a82-234910c4a086';
/** The keys of the common OpenID configuration (login.microsoftonline.com/common/.well-known/openid-configuration). */
export const DEFAULT_JWKS_URL = 'https://login.microsoftonline.com/common/discovery/v2.0/keys';
/** v1 (`https://sts.windows.net/{tid}/`, what Graph issues today) and v2 issuers; `{tenantId}` is replaced. */
export const DEFAULT_ISSUERS = ['https://sts.windows.net/{tenantId}/', 'https://login.microsoftonline.com/{tenantId}/v2.0'];

export interface ValidationTokenOptions {
  jwksUrl: string;
  /** The app ids notifications may be addressed to (the subscribing app's client id). */
  appIds: readonly string[];
  issuers?: readonly string[];
  clock: Clock;
  /** Seconds of clock skew allowed on exp/nbf. */
  clockToleranceSec?: number;
}

const refuse = (why: string): HubError => new HubError('HUB_ERR_GRAPH_VALIDATION_TOKEN', `rich notification refused: validation token ${why}`, { kind: 'permanent' });

export class ValidationTokenVerifier {
  private readonly jwks: ReturnType<typeof createRemoteJWKSet>;
  constructor(private readonly o: ValidationTokenOptions) {
    // jose caches the key set, refetches on an unknown `kid` (keys rotate daily) at most every 30 s.
    this.jwks = createRemoteJWKSet(new URL(o.jwksUrl), { cacheMaxAge: 3_600_000, cooldownDuration: 30_000, timeoutDuration: 10_000 });
  }

  /** Verifies one token; returns its claims or throws HUB_ERR_GRAPH_VALIDATION_TOKEN (never echoing the token). */
  async verify(token: string): Promise<JWTPayload & { tid: string }> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, this.jwks, {
        algorithms: ['RS256'],
        audience: [...this.o.appIds],
        currentDate: new Date(this.o.clock.now()),
        clockTolerance: this.o.clockToleranceSec ?? 60,
        requiredClaims: ['exp', 'aud', 'iss'],
      }));
    } catch (e) {
      const code = (e as { code?: string }).code ?? 'ERR_INVALID';
      if (code === 'ERR_JWKS_TIMEOUT' || code === 'ERR_JOSE_GENERIC' || (e as Error).name === 'TypeError') {
        throw new HubError('HUB_ERR_GRAPH_VALIDATION_TOKEN', `rich notification not verified: signing keys unavailable (${code})`, { kind: 'transient' });
      }
      throw refuse(`did not verify (${code})`);
    }
    const publisher = typeof payload.appid === 'string' ? payload.appid : payload.azp;
    if (publisher !== GRAPH_NOTIFICATION_PUBLISHER) throw refuse('was not issued to the Microsoft Graph change notification publisher');
    const tid = payload.tid;
    if (typeof tid !== 'string' || tid === '') throw refuse('has no tenant');
    const issuers = (this.o.issuers ?? DEFAULT_ISSUERS).map((i) => i.replace('{tenantId}', tid));
    if (!issuers.includes(String(payload.iss))) throw refuse('has an unexpected issuer');
    return { ...payload, tid };
  }

  /** Every token must verify, and every tenant named in the batch must be covered by a token. */
  async verifyAll(tokens: readonly string[] | undefined, tenantIds: readonly (string | undefined)[]): Promise<void> {
    if (tokens === undefined || tokens.length === 0) throw refuse('missing');
    if (tokens.length > 100) throw refuse('list too long');
    const tids = new Set<string>();
    for (const t of tokens) tids.add((await this.verify(t)).tid.toLowerCase());
    for (const tenant of tenantIds) if (tenant !== undefined && !tids.has(tenant.toLowerCase())) throw refuse('missing for a tenant of the batch');
  }
}
