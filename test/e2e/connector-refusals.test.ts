/**
 * Issue 11, item 4 "Refusals are visible", through a started hub and its HTTP API: a real
 * connector (the demo) whose signals the real ingest refuses (here the per-person register cap,
 * limits.registersPerPerson: 1, refuses the demo's calls, meetings and hand-set states after each
 * person's laptop) shows the refusals by reason on GET /v1/connectors, its lastError set, the state
 * degraded after repeated refusals, and the counter on /metrics.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/util/clock.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';
import { until as waitUntil } from '../support/wait.ts';

const ADMIN = auth(TEAM_ENV.ADMIN_KEY);
let open: TestHub | undefined;
afterEach(async () => {
  await open?.close();
  open = undefined;
});

/** The value `get` answers once `ok` holds for it (test/support/wait.ts). */
async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean, ms = 15_000): Promise<T> {
  return waitUntil(what, async () => {
    const v = await get();
    return ok(v) ? { v } : undefined;
  }, ms).then((r) => r.v);
}

interface ConnectorView {
  id: string;
  state: string;
  lastError: { code: string; message: string } | null;
  refused: Record<string, number>;
}

describe('a connector whose signals ingest refuses, seen through the API', () => {
  it('GET /v1/connectors counts the refusals by reason, sets lastError and degrades; /metrics has the counter', async () => {
    const t = await testHub({
      config: teamConfig({
        server: { rateLimit: 0 },
        limits: { registersPerPerson: 1 },
        connectors: [{ id: 'office', kind: 'demo', interval: '50ms', perTick: 5, seed: 7 }],
      }),
      env: TEAM_ENV,
      clock: systemClock,
    });
    open = t;
    const view = async (): Promise<ConnectorView | undefined> =>
      (await t.app.inject({ method: 'GET', url: '/v1/connectors', headers: ADMIN })).json().connectors.find((c: ConnectorView) => c.id === 'office');

    // Its first signals were taken (everyone's laptop); then each new register of a person is refused.
    const seen = await until('repeated refusals', async () => {
      await t.settle();
      return view();
    }, (c) => c?.state === 'degraded');
    expect(seen!.refused.HUB_ERR_TOO_MANY_REGISTERS).toBeGreaterThanOrEqual(3);
    expect(Object.keys(seen!.refused)).toEqual(['HUB_ERR_TOO_MANY_REGISTERS']);
    expect(seen!.lastError).toMatchObject({ code: 'HUB_ERR_TOO_MANY_REGISTERS' });
    expect(seen!.lastError!.message).toMatch(/^ingest refused \d+ signal\(s\) of office: .*limits\.registersPerPerson/);

    const metrics = (await t.app.inject({ method: 'GET', url: '/metrics', headers: ADMIN })).body;
    const line = metrics.split('\n').find((l) => l.startsWith('presence_hub_connector_signals_refused_total{') && l.includes('connector="office"') && l.includes('reason="HUB_ERR_TOO_MANY_REGISTERS"'));
    expect(line, 'the refusal counter of the office connector').toBeDefined();
    expect(Number(line!.split(' ').at(-1))).toBeGreaterThanOrEqual(seen!.refused.HUB_ERR_TOO_MANY_REGISTERS!);

    // The signals that were taken are there: each person has the laptop register and no other.
    const explain = (await t.app.inject({ url: '/v1/presence/alice/explain', headers: ADMIN })).json();
    expect(explain.registers.map((r: { endpoint: string }) => r.endpoint)).toEqual(['laptop']);
  });
});
