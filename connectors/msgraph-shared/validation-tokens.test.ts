import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/util/clock.ts';
import { SimTokenIssuer } from './sim-jwks.ts';
import { GraphSimulator } from './simulator.ts';
import { ValidationTokenVerifier } from './validation-tokens.ts';

const APP = '8e460676-ae3f-4b1e-8790-ee0fb5d6148f';
const TENANT = '84bd8158-6d4d-4958-8b9f-9d6445542f95';
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

let sim: GraphSimulator;
let verifier: ValidationTokenVerifier;
beforeAll(async () => {
  sim = new GraphSimulator();
  await sim.start();
  verifier = new ValidationTokenVerifier({ jwksUrl: sim.jwksUrl(), appIds: [APP], clock: systemClock });
});
afterAll(async () => {
  await sim.stop();
});

describe('validationTokens of rich notifications', () => {
  it('accepts a token signed by the JWKS key for this app, from the Graph publisher', async () => {
    const token = await sim.tokenIssuer.sign({ appId: APP, tenantId: TENANT, now: Date.now() });
    await expect(verifier.verify(token)).resolves.toMatchObject({ tid: TENANT, aud: APP, appid: '0bf30f3b-4a52-48df-9a82-234910c4a086' });
    await expect(verifier.verifyAll([token], [TENANT])).resolves.toBeUndefined();
  });

  it.each([
    ['signed by another key under the same kid', async () => {
      const forger = new SimTokenIssuer('other');
      (forger as { kid: string }).kid = sim.tokenIssuer.kid;
      return forger.sign({ appId: APP, tenantId: TENANT, now: Date.now() });
    }],
    ['unsigned (alg none)', async () => `${b64({ typ: 'JWT', alg: 'none' })}.${b64({ aud: APP, appid: '0bf30f3b-4a52-48df-9a82-234910c4a086', tid: TENANT, iss: `https://sts.windows.net/${TENANT}/`, exp: Math.floor(Date.now() / 1000) + 3600 })}.`],
    ['with a tampered payload', async () => {
      const [h, , s] = (await sim.tokenIssuer.sign({ appId: APP, tenantId: TENANT, now: Date.now() })).split('.');
      return `${h}.${b64({ aud: APP, appid: '0bf30f3b-4a52-48df-9a82-234910c4a086', tid: TENANT, iss: `https://sts.windows.net/${TENANT}/`, exp: 4102444800 })}.${s}`;
    }],
    ['for another app (aud)', () => sim.tokenIssuer.sign({ appId: '11111111-1111-1111-1111-111111111111', tenantId: TENANT, now: Date.now() })],
    ['from an app that is not the Graph publisher (appid)', () => sim.tokenIssuer.sign({ appId: APP, tenantId: TENANT, now: Date.now(), publisher: '22222222-2222-2222-2222-222222222222' })],
    ['expired', () => sim.tokenIssuer.sign({ appId: APP, tenantId: TENANT, now: Date.now() - 10 * 3_600_000, lifetimeSec: 3600 })],
    ['not a JWT at all', async () => 'eyJ0eXAiOiJKV1QiLCJhb...'],
  ])('refuses a token %s', async (_name, make) => {
    const token = await make();
    const err = await verifier.verify(token).then(() => undefined, (e: unknown) => e);
    expect(err).toMatchObject({ code: 'HUB_ERR_GRAPH_VALIDATION_TOKEN', kind: 'permanent' });
    expect(String((err as Error).message)).not.toContain(token.slice(0, 40));
  });

  it('refuses a batch without tokens, or with a tenant no token covers', async () => {
    await expect(verifier.verifyAll(undefined, [TENANT])).rejects.toMatchObject({ code: 'HUB_ERR_GRAPH_VALIDATION_TOKEN' });
    await expect(verifier.verifyAll([], [TENANT])).rejects.toMatchObject({ code: 'HUB_ERR_GRAPH_VALIDATION_TOKEN' });
    const token = await sim.tokenIssuer.sign({ appId: APP, tenantId: TENANT, now: Date.now() });
    await expect(verifier.verifyAll([token], ['46d9e3bd-6309-4177-a016-b256a411e30f'])).rejects.toMatchObject({ code: 'HUB_ERR_GRAPH_VALIDATION_TOKEN' });
  });

  it('says transient when the signing keys cannot be read', async () => {
    const down = new ValidationTokenVerifier({ jwksUrl: 'http://127.0.0.1:9/keys', appIds: [APP], clock: systemClock });
    const token = await sim.tokenIssuer.sign({ appId: APP, tenantId: TENANT, now: Date.now() });
    await expect(down.verify(token)).rejects.toMatchObject({ code: 'HUB_ERR_GRAPH_VALIDATION_TOKEN', kind: 'transient' });
  });
});
