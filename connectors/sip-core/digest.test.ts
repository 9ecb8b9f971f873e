import { describe, expect, it } from 'vitest';
import { authorize, digestResponse, parseChallenge, verifyAuthorization } from './digest.ts';

describe('digest authentication (RFC 2617 section 3.5 example, RFC 3261 section 22.4)', () => {
  it('computes the RFC 2617 example response', () => {
    // RFC 2617 section 3.5: Mufasa / Circle Of Life, qop=auth.
    expect(
      digestResponse({ algorithm: 'MD5', username: 'Mufasa', password: 'Circle Of Life', realm: 'testrealm@host.com', nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093', method: 'GET', uri: '/dir/index.html', qop: 'auth', nc: '00000001', cnonce: '0a4f113b' }),
    ).toBe('6629fae49393a05397450978507c4ef1');
  });
  it('parses a challenge and answers it so that a verifier accepts it', () => {
    const c = parseChallenge('Digest realm="pbx.example", nonce="abc123", qop="auth,auth-int", opaque="o1", algorithm=MD5')!;
    expect(c).toEqual({ realm: 'pbx.example', nonce: 'abc123', opaque: 'o1', algorithm: 'MD5', qop: ['auth', 'auth-int'], stale: false });
    const h = authorize(c, { username: 'hub', password: 's3cret' }, 'SUBSCRIBE', 'sip:alice@pbx.example')!;
    expect(h).not.toContain('s3cret');
    const ok = verifyAuthorization(h, { method: 'SUBSCRIBE', realm: 'pbx.example', nonces: new Set(['abc123']), passwords: new Map([['hub', 's3cret']]) });
    expect(ok).toBe(true);
    const bad = verifyAuthorization(h, { method: 'SUBSCRIBE', realm: 'pbx.example', nonces: new Set(['abc123']), passwords: new Map([['hub', 'other']]) });
    expect(bad).toBe(false);
  });
  it('answers a challenge without qop (RFC 2069 compatibility) and refuses unknown algorithms', () => {
    expect(authorize(parseChallenge('Digest realm="r", nonce="n"')!, { username: 'u', password: 'p' }, 'PUBLISH', 'sip:a@b')).toMatch(/^Digest username="u"/);
    expect(authorize(parseChallenge('Digest realm="r", nonce="n", algorithm=AKAv1-MD5')!, { username: 'u', password: 'p' }, 'PUBLISH', 'sip:a@b')).toBeUndefined();
  });
});
