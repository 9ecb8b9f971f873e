import { readFileSync } from 'node:fs';
import { createPrivateKey, createPublicKey, randomUUID, type KeyObject } from 'node:crypto';
import { SignJWT, type JWK } from 'jose';
import { GRAPH_NOTIFICATION_PUBLISHER } from './validation-tokens.ts';

/**
 * The signing keys a SimTokenIssuer can use: committed test-only RSA keys (fixtures/README.md), so
 * that no test spends CPU generating one (an RSA-2048 key pair took 1 to 2.5 s of CPU on a loaded
 * machine). `simulator` is every simulator's key; `other` is a second key, for a forger.
 */
export type SimSigningKey = 'simulator' | 'other';
const KEY_FILES: Record<SimSigningKey, string> = { simulator: 'test-only-token-signing-key.pem', other: 'test-only-forger-key.pem' };
const loaded = new Map<SimSigningKey, { privateKey: KeyObject; publicKey: KeyObject }>();

function keyPair(which: SimSigningKey): { privateKey: KeyObject; publicKey: KeyObject } {
  let pair = loaded.get(which);
  if (pair === undefined) {
    const privateKey = createPrivateKey(readFileSync(new URL(`./fixtures/${KEY_FILES[which]}`, import.meta.url)));
    pair = { privateKey, publicKey: createPublicKey(privateKey) };
    loaded.set(which, pair);
  }
  return pair;
}

/**
 * The simulator's stand-in for the Microsoft identity platform's signing keys: it signs the
 * `validationTokens` of rich notifications (RS256, v1.0 claims as in Graph's example token: aud =
 * the subscribing app, appid = the change notification publisher, iss = sts.windows.net/{tid}/)
 * and serves its public key as a JWKS, so the hub verifies them exactly as it would Microsoft's.
 * Each issuer has its own `kid`; issuers made with the same `key` share that key pair.
 */
export class SimTokenIssuer {
  readonly kid = randomUUID();

  constructor(private readonly key: SimSigningKey = 'simulator') {}

  jwks(): { keys: JWK[] } {
    const jwk = keyPair(this.key).publicKey.export({ format: 'jwk' }) as JWK;
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
      .sign(keyPair(this.key).privateKey);
  }
}
