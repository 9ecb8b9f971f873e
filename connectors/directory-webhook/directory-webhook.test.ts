import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AvailabilityClass } from '../../core/model/availability.ts';
import { classActivity, type Presence } from '../../core/model/presence.ts';
import { ManualClock } from '../../core/util/clock.ts';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import { freePort } from '../../test/support/ports.ts';
import { directoryWebhookConfigSchema } from './config.ts';
import { directoryWebhookManifest } from './manifest.ts';
import { sign, verify } from './client.ts';
import type { DirectoryWebhookConnector } from './connector.ts';
import { startWebhookReceiver, type WebhookReceiver } from './simulator.ts';
import type { ConnectorStore } from '../../core/connector/contract.ts';
import { memoryConnectorStore } from '../../core/pipeline/embedded/connector-store.ts';
import { TcpProxy } from '../../test/support/tcp-proxy.ts';
import { until } from '../../test/support/wait.ts';

const SECRET = 'directory-sync-shared-secret';
let rx: WebhookReceiver;
beforeAll(async () => {
  rx = await startWebhookReceiver({ secret: SECRET, now: () => clockNow() });
});
afterAll(async () => {
  await rx?.close();
});

const T0 = Date.parse('2026-11-22T10:00:00Z');
/** The receiver checks timestamps against the test's clock (set by setup). */
let clockNow: () => number = () => T0;
function presence(person: string, cls: AvailabilityClass, availability: number): Presence {
  return { person, availability, class: cls, activity: classActivity(cls), since: T0, version: 1 };
}

const PEOPLE = ['alice', 'bob', 'carol', 'dave', 'erin'].map((id) => ({ id }));

function setup(over: Record<string, unknown> = {}, state?: ConnectorStore) {
  const clock = new ManualClock(T0);
  clockNow = () => clock.now();
  const config = directoryWebhookConfigSchema.parse({ url: rx.url, secret: SECRET, interval: '0s', ...over });
  const h = connectorHarness({ id: 'dirsync', config, clock, people: PEOPLE, ...(state !== undefined ? { state } : {}) });
  const connector = directoryWebhookManifest.create(h.ctx) as DirectoryWebhookConnector;
  const sup = h.supervisor(directoryWebhookManifest, connector);
  /** Lets the clock pass (retries wait on it), then sends what is due and waits for it. */
  const pass = async (ms: number): Promise<void> => {
    clock.advance(ms);
    await h.reconciler!.tick();
  };
  return { h, connector, sup, clock, pass, stats: () => h.reconciler!.stats() };
}

const sent = (from: number): string[] => rx.received.slice(from).flatMap((b) => b.body.changes.map((c) => `${c.person}:${c.class}`));

describe('directory-webhook wire format', () => {
  it('signs timestamp.body and verifies in constant time within the replay window', () => {
    const k = 'k'.repeat(16);
    const ts = String(T0 / 1000);
    const s = sign(k, ts, '{"a":1}');
    expect(s).toMatch(/^sha256=[0-9a-f]{64}$/);
    expect(verify(k, '{"a":1}', s, ts, T0)).toBe(true);
    expect(verify(k, '{"a":2}', s, ts, T0)).toBe(false);
    expect(verify(k, '{"a":1}', undefined, ts, T0)).toBe(false);
    expect(verify(k, '{"a":1}', s, String(T0 / 1000 + 1), T0)).toBe(false);
    expect(verify(k, '{"a":1}', s, ts, T0 + 300_000)).toBe(true);
    expect(verify(k, '{"a":1}', s, ts, T0 + 301_000)).toBe(false);
    expect(verify(k, '{"a":1}', s, undefined, T0)).toBe(false);
  });

  it.each([[{ url: 'ftp://x' }], [{ secret: 'short' }]])('refuses %o', (over) => {
    expect(directoryWebhookConfigSchema.safeParse({ url: rx.url, secret: SECRET, ...over }).success).toBe(false);
  });
});

describe('directory-webhook delivery on the reconciliation', () => {
  it('posts signed batches of class changes of the directory\'s people only', async () => {
    const { h, sup, stats } = setup({ batchSize: 2 });
    await sup.start();
    // Nobody has a presence yet: the start-up reconcile delivered everyone's (offline) class.
    await until('the start-up reconcile', () => stats().pending === 0);
    const before = rx.received.length;
    await h.publish([presence('alice', 'busy', 6500), presence('bob', 'dnd', 9500), presence('carol', 'away', 15500), presence('nobody', 'busy', 6500)]);
    await until('three changes delivered', () => sent(before).length === 3);
    const got = rx.received.slice(before);
    expect(got).toHaveLength(2);
    expect(got.every((b) => b.signatureOk)).toBe(true);
    expect(got[0]!.body).toEqual({
      source: 'dirsync',
      sentAt: '2026-11-22T10:00:00.000Z',
      changes: [
        { person: 'alice', class: 'busy', availability: 6500, at: '2026-11-22T10:00:00.000Z' },
        { person: 'bob', class: 'dnd', availability: 9500, at: '2026-11-22T10:00:00.000Z' },
      ],
    });
    expect(got[1]!.body.changes.map((c) => c.person)).toEqual(['carol']);
    // The same class with another number is no change; a new class is.
    await h.publish([presence('alice', 'busy', 7000), presence('bob', 'available', 3500)]);
    await until('bob delivered', () => sent(before).length === 4);
    expect(sent(before + 2)).toEqual(['bob:available']);
    expect(sup.health().state).toBe('running');
    await sup.stop();
  });

  it('a 5xx is an unknown outcome, a 4xx a failed one: both retried until the receiver takes the class', async () => {
    const { h, sup, pass, stats } = setup();
    await sup.start();
    await until('the start-up reconcile', () => stats().pending === 0);
    const before = rx.received.length;
    rx.script(503);
    await h.publish([presence('dave', 'busy', 6500)]);
    expect(stats()).toMatchObject({ unknownOutcomes: 1, pending: 1 });
    expect(sup.health().lastError).toMatchObject({ code: 'HUB_ERR_WEBHOOK_FAILED' });
    expect(h.reconciler!.mayShow('dave')).toContain('busy');
    await pass(61_000);
    expect(sent(before)).toEqual(['dave:busy']);
    expect(stats().pending).toBe(0);

    rx.script(400, 400);
    await h.publish([presence('dave', 'dnd', 9500)]);
    expect(sup.health().lastError).toMatchObject({ code: 'HUB_ERR_WEBHOOK_REJECTED' });
    expect(sup.health().state).toBe('degraded');
    await pass(61_000);
    expect(stats().failed).toBeGreaterThanOrEqual(2);
    expect(stats().pending).toBe(1);
    await pass(61_000);
    // The receiver refused writes for a while: after it takes one again, everyone delivered before is re-sent.
    await until('nothing pending', () => stats().pending === 0);
    expect(sent(before).filter((c) => c.startsWith('dave:'))).toEqual(['dave:busy', 'dave:dnd']);
    expect(stats().retries).toBeGreaterThanOrEqual(3);
    expect(sup.health().state).toBe('running');
    await sup.stop();
  });

  it('a restart delivers what the receiver may lack: from the durable record only the changed, without one everyone', async () => {
    const shared = memoryConnectorStore();
    const first = setup({}, shared);
    await first.h.publish([presence('alice', 'busy', 6500), presence('bob', 'dnd', 9500)]);
    await first.sup.start();
    await until('first run delivered', () => first.stats().pending === 0);
    await first.sup.stop();

    const before = rx.received.length;
    const second = setup({}, shared);
    await second.h.publish([presence('alice', 'busy', 6500), presence('bob', 'away', 15500)]);
    await second.sup.start();
    await until('second run delivered', () => second.stats().pending === 0);
    expect(sent(before)).toEqual(['bob:away']);
    await second.sup.stop();

    const mid = rx.received.length;
    const third = setup();
    await third.h.publish([presence('alice', 'busy', 6500), presence('bob', 'away', 15500)]);
    await third.sup.start();
    await until('third run delivered', () => third.stats().pending === 0);
    expect(sent(mid).sort()).toEqual(['alice:busy', 'bob:away', 'carol:offline', 'dave:offline', 'erin:offline']);
    await third.sup.stop();
  });

  it('an outage: refused connections fail and stay pending; the probe delivers within a second of the recovery', async () => {
    const port = Number(new URL(rx.url).port);
    const proxy = await TcpProxy.start({ port });
    const { h, sup, pass, stats, clock } = setup({ url: proxy.rewrite(rx.url) });
    try {
      await sup.start();
      await until('the start-up reconcile', () => stats().pending === 0);
      const before = rx.received.length;
      clock.advance(1000);
      await proxy.down();
      await h.publish([presence('erin', 'busy', 6500), presence('carol', 'dnd', 9500)]);
      expect(stats().failed).toBe(2);
      expect(sup.health().lastError).toMatchObject({ code: 'HUB_ERR_WEBHOOK_UNREACHABLE' });
      await pass(30_000);
      expect(stats().pending).toBe(2);
      await proxy.up();
      await pass(1_000);
      await until('both delivered', () => stats().pending === 0);
      // Everyone delivered before the outage is delivered again: the receiver may have lost anything.
      await until('the resync after the recovery', () => sent(before).length >= 5);
      expect(sent(before)).toEqual(expect.arrayContaining(['erin:busy', 'carol:dnd', 'alice:offline', 'bob:offline', 'dave:offline']));
      expect(sup.health().state).toBe('running');
    } finally {
      await sup.stop();
      await proxy.down();
    }
  });

  it('testConnection: good secret ok, wrong secret permanent, closed port transient', async () => {
    expect(await setup().connector.testConnection()).toMatchObject({ ok: true });
    const bad = await setup({ secret: 'another-secret-of-16' }).connector.testConnection();
    expect(bad).toMatchObject({ ok: false, kind: 'permanent', code: 'HUB_ERR_WEBHOOK_REJECTED' });
    expect(bad.message).not.toContain('another-secret');
    const port = await freePort();
    expect(await setup({ url: `http://127.0.0.1:${port}/x` }).connector.testConnection()).toMatchObject({ ok: false, kind: 'transient', code: 'HUB_ERR_WEBHOOK_UNREACHABLE' });
  });
});
