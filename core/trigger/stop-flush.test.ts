/**
 * docs/triggers.md: a clean stop of the evaluating node stores the firings it recorded before it
 * lets the triggers go. An embedded hub with a dataDir fires a trigger, stops while that firing's
 * write is still queued behind another, and the hub started next on the same dataDir knows the
 * firing. Before, the stop dropped the queued write with the evaluating session, and the restart
 * read the state from before it (test/contract/shared-state.test.ts failed now and then so).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ConnectorStore } from '../connector/contract.ts';
import { auth, TEAM_ENV, type TestHub } from '../../test/support/hub.ts';
import { capturingLogger } from '../../test/support/log-capture.ts';
import { storeWith, triggerHub } from '../../test/support/trigger-hub.ts';
import { until } from '../../test/support/wait.ts';

/** The store with its first write held until `release()`: the writes queued behind it wait. */
function holdingFirstWrite(inner: ConnectorStore): { store: ConnectorStore; held: Promise<void>; release: () => void } {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  let heldNow!: () => void;
  const held = new Promise<void>((r) => (heldNow = r));
  let first = true;
  const store = storeWith(inner, {
    set: async (entries) => {
      if (first) {
        first = false;
        heldNow();
        await gate;
      }
      return inner.set(entries);
    },
  });
  return { store, held, release };
}

describe('a clean stop with trigger writes queued', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'ph-trigger-flush-'));
  const triggers = { rules: [{ id: 'bob-on', people: ['bob'], action: { type: 'sse' as const } }, { id: 'carol-on', people: ['carol'], action: { type: 'sse' as const } }] };
  const { log, lines } = capturingLogger('info');
  const start = (wrap?: (s: ConnectorStore) => ConnectorStore): Promise<TestHub> => triggerHub({ triggers, dataDir, log, ...(wrap !== undefined ? { wrap } : {}) });
  const fired = async (t: TestHub, id: string) => ((await t.app.inject({ url: `/v1/triggers/${id}`, headers: auth(TEAM_ENV.ADMIN_KEY) })).json() as { fired: number }).fired;
  const signal = (t: TestHub, person: string) => t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person, source: 'teams', category: 'user', availability: 'available' } });
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('stores them before it stops: the next hub on the dataDir knows every firing', async () => {
    let hold!: ReturnType<typeof holdingFirstWrite>;
    const one = await start((s) => {
      hold = holdingFirstWrite(s);
      return hold.store;
    });
    expect((await signal(one, 'bob')).statusCode).toBe(202);
    await hold.held; // bob's firing (or a state before it) is being written, and waits
    expect((await signal(one, 'carol')).statusCode).toBe(202);
    // Recorded in memory and its write queued (the count a GET shows is the stored one, still held back).
    await until(() => lines.some((l) => l.raw.includes('trigger carol-on fired')), "carol's trigger fired on the first hub");
    // Stop while carol's firing is still queued; the held write goes through a moment later.
    const closing = one.close();
    setTimeout(() => hold.release(), 50);
    await closing;
    const two = await start();
    try {
      expect(await fired(two, 'bob-on')).toBe(1);
      expect(await fired(two, 'carol-on')).toBe(1);
    } finally {
      await two.close();
    }
  });
});
