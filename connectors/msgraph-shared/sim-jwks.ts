import { generateKeyPairSync, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, type JWK } from 'jose';
import { GRAPH_NOTIFICATION_PUBLISHER } from './validation-tokens.ts';

/**
 * The simulator's stand-in for the Microsoft identity platform's signing keys: it signs the
 * `validationTokens` of rich notifications (RS256, v1.0 claims as in Graph's example token: aud =
 * the subscribing app, appid = the change notification publisher, iss = sts.windows.net/{tid}/)
 * and serves its public key as a JWKS, so the hub verifies them exactly as it would Microsoft's.
 */
export class SimTokenIssuer {
  private pair: { privateKey: KeyObject; publicKey: KeyObject } | undefined;
  readonly kid = randomUUID();

  /** Made on first use: an RSA key costs CPU that simulators without rich notifications need not spend. */
  private keys(): { privateKey: KeyObject; publicKey: KeyObject } {
    this.pair ??= generateKeyPairSync('rsa', { modulusLength: 2048 });
    return this.pair;
  }

  jwks(): { keys: JWK[] } {
    const jwk = this.keys().publicKey.export({ format: 'jwk' }) as JWK;
    return { keys: [{ ...jwk, kid: this.kid, use: 'sig', alg: 'RS256' }] };
  }

  /** A validation token for one (app, tenant) pair, valid for about 8 hours like Graph's. */
  async sign(o: { appId: string; tenantId: string; now: number; lifetimeSec?: number; publisher?: string }): Promise<string> {
    const iat = Math.floor(o.now / 1000);
    return new SignJWT({ appid: o.publisher ?? GRAPH_NOTIFICATION_PUBLISHER, appidacr: '2', idp: `https://sts.windows.net/${o.tenantId}/`, tid: o.tenantId, uti: randomUUID().slice(0, 22), ver: '1.0' })
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.kid })
      .setAudience(o.appId)
      .setIssuer(`https://sts.windows.net/${o.tenantId}/`)
      .setIssuedAt(iat)
      .setNotBefore(iat)
      .setExpirationTime(iat + (o.lifetimeSec ?? 29_100))
      .sign(this.keys().privateKey);
  }
}
