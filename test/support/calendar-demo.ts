/**
 * The calendar connectors' demo tests (ews-calendar, domino-calendar demo.test.ts): the demo server
 * as a user runs it (simulator-demo.ts), and the hub (real ingest, aggregation, API) configured with
 * the connector's example file; only the demo server's address is the test's own port. Alice is
 * busy "In a meeting" through the hub; bob's first meeting is the next slot, so not him.
 */
import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { expect } from 'vitest';
import type { HubConfigInput } from '../../core/config/schema.ts';
import { systemClock } from '../../core/util/clock.ts';
import type { DemoServer } from '../../connectors/calendar-common/demo-meetings.ts';
import { auth, testHub } from './hub.ts';
import { freePort } from './ports.ts';

const ADMIN_KEY = 'demo-admin-key-0123456789abcdef';

export async function demoThroughHub(o: {
  runDemo: (port: number, password: string, log: (l: string) => void) => Promise<DemoServer>;
  /** The example configuration, relative to the repository root (examples/...). */
  example: string;
  /** What the example's first connector says before the test points it at its own port. */
  expected: Record<string, unknown>;
  env: Record<string, string>;
}): Promise<void> {
  const demo = await o.runDemo(await freePort(), 'demo', () => undefined);
  try {
    const file = new URL(`../../${o.example}`, import.meta.url).pathname;
    const config = parseYaml(readFileSync(file, 'utf8')) as HubConfigInput & { connectors: Record<string, unknown>[] };
    expect(config.connectors[0]).toMatchObject(o.expected);
    config.connectors[0]!.url = demo.url;
    const t = await testHub({ config, env: { ...o.env, HUB_ADMIN_KEY: ADMIN_KEY }, clock: systemClock });
    try {
      const view = async (person: string): Promise<Record<string, unknown>> => (await t.app.inject({ method: 'GET', url: `/v1/presence/${person}`, headers: auth(ADMIN_KEY) })).json();
      const end = Date.now() + 15_000;
      for (;;) {
        await t.settle();
        const v = await view('alice');
        if (v.class === 'busy') break;
        if (Date.now() > end) throw new Error(`alice never busy: ${JSON.stringify(v)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      expect(await view('alice')).toMatchObject({ class: 'busy', activity: { token: 'in-a-meeting', text: 'In a meeting' } });
      // Bob's first meeting is the next slot: the same read shows him not in one.
      expect(((await view('bob')).activity as { token?: string } | undefined)?.token).not.toBe('in-a-meeting');
    } finally {
      await t.close();
    }
  } finally {
    await demo.stop();
  }
}
