import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/util/clock.ts';
import type { HubError } from '../../core/errors.ts';
import { ClientCredentialsProvider, MemoryTokenStore, RefreshTokenProvider } from './auth.ts';
import { tokenErrorSchema } from './schemas.ts';
import { GraphSimulator } from './simulator.ts';

const APP = { clientId: '22553876-f5ab-4529-bffb-cfe50aa89f87', clientSecret: 'sim-secret-value' };
let sim: GraphSimulator;
beforeAll(async () => {
  sim = new GraphSimulator();
  sim.addApp(APP);
  await sim.start();
});
afterAll(async () => {
  await sim.stop();
});

const refused = async (p: { getToken(): Promise<string> }): Promise<HubError> => {
  try {
    await p.getToken();
  } catch (e) {
    return e as HubError;
  }
  throw new Error('the token request was not refused');
};
const app = (clock = new ManualClock(Date.parse('2026-12-01T10:00:00Z')), secret = APP.clientSecret) =>
  new ClientCredentialsProvider({ tokenEndpoint: sim.tokenEndpoint(), clientId: APP.clientId, clientSecret: secret, scope: 'https://graph.microsoft.com/.default', clock });

describe('token endpoint errors as Entra documents them (error, error_codes)', () => {
  it('the published error response parses, with its AADSTS number', () => {
    const body = JSON.parse(readFileSync(new URL('./fixtures/token-error.response.json', import.meta.url), 'utf8'));
    expect(tokenErrorSchema.parse(body)).toMatchObject({ error: 'invalid_scope', error_codes: [70011] });
  });

  it('a wrong client secret is permanent and names its AADSTS code, never the secret', async () => {
    const e = await refused(app(undefined, 'wrong-secret'));
    expect(e).toMatchObject({ code: 'HUB_ERR_GRAPH_AUTH', kind: 'permanent' });
    expect(e.message).toContain('invalid_client (AADSTS7000215)');
    expect(e.message).not.toContain('wrong-secret');
  });

  it('interaction_required on a refresh token (MFA, Conditional Access) is permanent: retrying cannot sign the account in', async () => {
    sim.refuseTokens({ status: 400, error: 'interaction_required', aadsts: 50076, description: 'Due to a configuration change made by your administrator, or because you moved to a new location, you must use multi-factor authentication.' });
    const p = new RefreshTokenProvider({ tokenEndpoint: sim.tokenEndpoint(), clientId: APP.clientId, scope: 'https://graph.microsoft.com/Presence.Read.All', initialRefreshToken: sim.issueRefreshToken(APP.clientId, 'svc@corp.example'), store: new MemoryTokenStore(), clock: new ManualClock(0), maxAgeMs: 86_400_000 });
    const e = await refused(p);
    expect(e).toMatchObject({ code: 'HUB_ERR_GRAPH_AUTH', kind: 'permanent' });
    expect(e.message).toContain('interaction_required (AADSTS50076)');
  });

  it('temporarily_unavailable is transient', async () => {
    sim.refuseTokens({ status: 503, error: 'temporarily_unavailable', aadsts: 50196, description: 'The server is temporarily too busy to handle the request.' });
    expect(await refused(app())).toMatchObject({ code: 'HUB_ERR_GRAPH_UNREACHABLE', kind: 'transient' });
  });

  it('a 429 with Retry-After as an HTTP-date waits until that date', async () => {
    const clock = new ManualClock(Date.parse('2026-12-01T10:00:00Z'));
    sim.refuseTokens({ status: 429, error: 'temporarily_unavailable', aadsts: 50196, description: 'Too many requests.', retryAfter: new Date(clock.now() + 30_000).toUTCString() });
    expect(await refused(app(clock))).toMatchObject({ code: 'HUB_ERR_GRAPH_THROTTLED', kind: 'throttled', retryAfterMs: 30_000 });
  });
});
