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

function setup(over: Record<string, unknown> = {}) {
  const clock = new ManualClock(T0);
  clockNow = () => clock.now();
  const config = directoryWebhookConfigSchema.parse({ url: rx.url, secret: SECRET, interval: '1h', retryBase: '1s', retryMax: '10s', ...over });
  const h = connectorHarness({ id: 'dirsync', config, clock });
  const connector = directoryWebhookManifest.create(h.ctx) as DirectoryWebhookConnector;
  const sup = h.supervisor({ ...directoryWebhookManifest, create: () => connector });
  return { h, connector, sup, clock };
}

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

describe('directory-webhook delivery', () => {
  it('posts signed batches of class changes only', async () => {
    const { connector, sup } = setup({ batchSize: 2 });
    await sup.start();
    const before = rx.received.length;
    await sup.publish([presence('alice', 'busy', 6500), presence('bob', 'dnd', 9500), presence('carol', 'away', 15500)]);
    await connector.batcher.drain();
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
    await sup.publish([presence('alice', 'busy', 7000), presence('bob', 'available', 3500)]);
    await connector.batcher.drain();
    expect(rx.received.slice(before + 2).flatMap((b) => b.body.changes.map((c) => `${c.person}:${c.class}`))).toEqual(['bob:available']);
    expect(sup.health().counts.delivered).toBe(4);
    await sup.stop();
  });

  it('retries a 503 after a backoff and honours Retry-After on 429, newest class winning', async () => {
    const { connector, sup, clock } = setup();
    await sup.start();
    const before = rx.received.length;
    rx.script(503, [429, '30']);
    await sup.publish([presence('dave', 'busy', 6500)]);
    await connector.batcher.flush();
    expect(connector.batcher.pendingCount).toBe(1);
    expect(sup.health().lastError).toMatchObject({ code: 'HUB_ERR_WEBHOOK_FAILED' });
    await connector.batcher.flush();
    expect(rx.received.length).toBe(before);
    clock.advance(1000);
    await connector.batcher.flush(); // answered 429, Retry-After 30 s
    expect(sup.health().lastError).toMatchObject({ code: 'HUB_ERR_WEBHOOK_THROTTLED' });
    await sup.publish([presence('dave', 'dnd', 9500)]);
    clock.advance(29_000);
    await connector.batcher.flush();
    expect(rx.received.length).toBe(before);
    clock.advance(1_000);
    await connector.batcher.flush();
    expect(rx.received.slice(before).flatMap((b) => b.body.changes.map((c) => `${c.person}:${c.class}`))).toEqual(['dave:dnd']);
    expect(sup.health().state).toBe('running');
    await sup.stop();
  });

  it('a refused batch (4xx) is dropped, not retried, and shows in health', async () => {
    const { connector, sup } = setup();
    await sup.start();
    rx.script(400);
    await sup.publish([presence('erin', 'busy', 6500)]);
    await connector.batcher.drain();
    expect(connector.batcher.pendingCount).toBe(0);
    expect(sup.health().lastError).toMatchObject({ code: 'HUB_ERR_WEBHOOK_REJECTED' });
    await sup.stop();
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
