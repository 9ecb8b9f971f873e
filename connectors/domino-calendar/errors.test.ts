/**
 * Refusals as Domino words them (DRAPI ErrorMessage and DAS errorResponse both carry `message`),
 * through the real connector against the simulator: the account refused stops the connector with
 * Domino's own words, in DAS mode too (every DAS resource is behind Basic, freebusy.yaml
 * `security: basic`), and a person Domino refuses is on the report with the reason Domino gives.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import { until } from '../../test/support/wait.ts';
import { dominoCalendarConfigSchema } from './config.ts';
import { dominoCalendarManifest } from './manifest.ts';
import { DominoSimulator } from './simulator.ts';

const ACCOUNT = { username: 'svc-presence', password: 'domino-errors-0007' };
let sim: DominoSimulator | undefined;
const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0)) await s().catch(() => undefined);
  await sim?.stop();
  sim = undefined;
});

async function connector(config: Record<string, unknown>) {
  sim = new DominoSimulator(ACCOUNT);
  sim.addPerson(['gary@corp.example'], { entries: [], readable: false });
  await sim.start();
  const h = connectorHarness({ id: 'domino', config: dominoCalendarConfigSchema.parse({ url: sim.url, ...ACCOUNT, pollInterval: '200ms', ...config }), people: [{ id: 'gary', identities: ['mailto:gary@corp.example'] }] });
  const sup = h.supervisor(dominoCalendarManifest);
  stops.push(() => sup.stop());
  return sup;
}

describe('domino-calendar refusals in Domino’s words', () => {
  it('DAS: a wrong password stops the connector with HUB_ERR_DOMINO_AUTH at start, and the connection test says so', async () => {
    const sup = await connector({ api: 'das', password: 'not-the-password' });
    await sup.start();
    expect(sup.health().state).toBe('stopped');
    expect(sup.health().lastError).toMatchObject({ code: 'HUB_ERR_DOMINO_AUTH', message: expect.stringMatching(/HTTP 401.*Domino says "Authorization required"/) });
    expect(sup.health().lastError!.message).not.toContain('not-the-password');
    expect(await sup.testConnection()).toMatchObject({ ok: false, code: 'HUB_ERR_DOMINO_AUTH' });
    expect(sim!.requests.some((r) => r.path === '/api/freebusy/busytime')).toBe(false);
  });

  it('DRAPI: a wrong password names what Domino said; a mailbox the account may not read is on the report with Domino’s reason', async () => {
    const bad = await connector({ password: 'not-the-password' });
    await bad.start();
    expect(bad.health().lastError).toMatchObject({ code: 'HUB_ERR_DOMINO_AUTH', message: expect.stringContaining('Domino says "Invalid credentials"') });
    await bad.stop();
    await sim!.stop();
    const sup = await connector({});
    await sup.start();
    await until('gary on the report', () => (sup.report()?.skipped.length ?? 0) > 0);
    expect(sup.report()!.skipped).toEqual([{ entry: 'mailto:gary@corp.example', reason: expect.stringMatching(/no ACL access.*HTTP 403.*Domino says "You are not authorized to access this mailbox"/) }]);
    expect(sup.health().state).toBe('running');
  });
});
