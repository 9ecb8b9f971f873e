import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';
import type { HubConfigInput } from '../../core/config/schema.ts';
import { systemClock } from '../../core/util/clock.ts';
import { auth, testHub, type TestHub } from '../../test/support/hub.ts';
import { freePort } from '../../test/support/ports.ts';
import { runDemo } from './simulator-demo.ts';

// The demo as a user runs it: the demo Domino, and the hub (real ingest, aggregation, API)
// configured with examples/domino-calendar.yaml; only the simulator's address is this test's own port.
const ADMIN_KEY = 'demo-admin-key-0123456789abcdef';
const stops: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const s of stops.reverse()) await s();
});

describe('domino-calendar demo', () => {
  it('examples/domino-calendar.yaml against the demo simulator: alice is busy "In a meeting" through the hub', async () => {
    const demo = await runDemo(await freePort(), 'demo', () => undefined);
    stops.push(() => demo.stop());
    const file = new URL('../../examples/domino-calendar.yaml', import.meta.url).pathname;
    const config = parseYaml(readFileSync(file, 'utf8')) as HubConfigInput & { connectors: Record<string, unknown>[] };
    expect(config.connectors[0]).toMatchObject({ kind: 'domino-calendar', url: 'http://127.0.0.1:14880' });
    config.connectors[0]!.url = demo.url;
    const t: TestHub = await testHub({ config, env: { DOMINO_PASSWORD: 'demo', HUB_ADMIN_KEY: ADMIN_KEY }, clock: systemClock });
    stops.push(() => t.close());
    const alice = async (): Promise<Record<string, unknown>> => (await t.app.inject({ method: 'GET', url: '/v1/presence/alice', headers: auth(ADMIN_KEY) })).json();
    const end = Date.now() + 15_000;
    for (;;) {
      await t.settle();
      const v = await alice();
      if (v.class === 'busy') break;
      if (Date.now() > end) throw new Error(`alice never busy: ${JSON.stringify(v)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await alice()).toMatchObject({ class: 'busy', activity: { token: 'in-a-meeting', text: 'In a meeting' } });
    // Bob's first meeting is the next slot: the same read shows him not in one.
    const bob = (await t.app.inject({ method: 'GET', url: '/v1/presence/bob', headers: auth(ADMIN_KEY) })).json();
    expect(bob.activity?.token).not.toBe('in-a-meeting');
  });
});
