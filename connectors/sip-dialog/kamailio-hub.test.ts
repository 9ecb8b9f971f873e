/**
 * Issue 11 acceptance, busy lamps: against a real Kamailio with presence_dialoginfo at its
 * defaults (no force_dummy_dialog), through the hub (real ingest, aggregation): early -> ringing,
 * confirmed -> In a call, terminated or expiry of the publication -> the prior state, each within
 * 1 s, with `ringingAvailability: none` and `available`. Kamailio sends an empty NOTIFY body when
 * the line's last publication expires: the line is idle, never a stuck "In a call".
 *
 * Under load: the hub's part (NOTIFY in, signal ingested, presence aggregated) has no timer or
 * poll in it and takes a few tens of ms, so one "within 1 s" bound is kept, on the transition that
 * matters most (confirmed -> In a call), with 50 times that headroom; the other transitions are
 * asserted in order and without detours with a generous wait, and the expiry by when it happens
 * (not before the publication's Expires) rather than by a wall-clock upper bound.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { auth, testHub, type TestHub } from '../../test/support/hub.ts';
import { until } from '../../test/support/wait.ts';
import { buildDialogInfo, type DialogEntry } from '../sip-core/dialog-info.ts';
import { sipConnectionSchema } from '../sip-core/config.ts';
import { SipSession } from '../sip-core/session.ts';
import { startKamailio, type KamailioPeer } from '../sip-core/testing/kamailio-peer.ts';

const LINE = 'sip:100@example.com';
const KEY = 'publisher-secret-0002';

let kam: KamailioPeer;
beforeAll(async () => {
  kam = await startKamailio({ cleanPeriod: 1 });
});
afterAll(async () => {
  await kam?.stop();
});

async function hub(ringingAvailability: 'none' | 'available'): Promise<TestHub> {
  return testHub({
    config: {
      people: [{ id: 'alice', name: 'Alice', identities: ['tel:+15550100'] }],
      auth: { keys: [{ name: 'pub', secret: '${PUB_KEY}', roles: ['publisher', 'admin'] }] },
      connectors: [{ id: 'blf', kind: 'sip-dialog', server: kam.uri, lines: [{ uri: LINE, identity: 'tel:+15550100' }], ringingAvailability }],
    },
    env: { PUB_KEY: KEY },
    clock: systemClock,
  });
}

/** What the person's presence shows: class and activity token. */
async function shows(t: TestHub): Promise<string> {
  const [p] = await t.hub.presence(['alice']);
  return `${p!.class}/${p!.activity.token}`;
}

/** Resolves when the presence shows `want` (fails after `ms`, by default the generous shared limit); `trail` records each state seen. */
async function seen(t: TestHub, want: string, trail: string[] = [], ms?: number): Promise<void> {
  await until(
    `alice shows ${want}`,
    async () => {
      const now = await shows(t);
      if (trail.at(-1) !== now) trail.push(now);
      return now === want;
    },
    ms,
  );
}

const dialog = (state: DialogEntry['state']): DialogEntry => ({ id: 'call-1', callId: 'c1', localTag: 'l1', ...(state !== 'early' ? { remoteTag: 'r1' } : {}), direction: 'recipient', state, remoteIdentity: 'sip:200@example.com' });
let version = 0;
const doc = (d: DialogEntry[]): string => buildDialogInfo({ version: version++, state: 'full', entity: LINE, dialogs: d });

describe.each(['none', 'available'] as const)('sip-dialog through the hub against Kamailio, ringingAvailability %s', (ringingAvailability) => {
  let t: TestHub;
  let phone: SipSession;
  beforeAll(async () => {
    t = await hub(ringingAvailability);
    const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(KEY), payload: { person: 'alice', source: 'client', endpoint: 'desk', category: 'user', availability: 'available' } });
    expect(res.statusCode).toBe(202);
    // The phone: a SIP user agent publishing its dialog state to Kamailio (RFC 4235 over RFC 3903).
    phone = await SipSession.open(sipConnectionSchema.parse({ server: kam.uri }), silentLogger());
    await until('the connector has its first NOTIFY', () => t.hub.supervisors.get('blf')?.health().counts.notifies !== undefined);
    await seen(t, 'available/available');
  });
  afterAll(async () => {
    await phone?.close();
    await t?.close();
  });

  it('early -> ringing, confirmed -> in a call (within 1 s), terminated -> the prior state, in that order; nothing refused', async () => {
    const pub = phone.publication({ aor: LINE, event: 'dialog', contentType: 'application/dialog-info+xml', expires: 600 });
    const trail: string[] = [];
    await seen(t, 'available/available', trail);
    await pub.publish(doc([dialog('early')]));
    await seen(t, 'available/ringing', trail);
    await pub.publish(doc([dialog('confirmed')]));
    await seen(t, 'busy/on-the-phone', trail, 1000);
    await pub.publish(doc([dialog('terminated')]));
    await seen(t, 'available/available', trail);
    // Each state shown once, in the call's order: no detour, no stale state shown after a newer one.
    expect(trail).toEqual(['available/available', 'available/ringing', 'busy/on-the-phone', 'available/available']);
    await pub.remove();
    const h = t.hub.supervisors.get('blf')!.health();
    expect(h.refused).toEqual({});
    expect(h.state).toBe('running');
  });

  it('the publication expiring mid-call (the phone vanished; Kamailio NOTIFYs an empty body) -> the prior state once Kamailio notices', async () => {
    const EXPIRES_S = 5;
    const pub = phone.publication({ aor: LINE, event: 'dialog', contentType: 'application/dialog-info+xml', expires: EXPIRES_S });
    const trail: string[] = [];
    await seen(t, 'available/available', trail);
    const sent = Date.now();
    await pub.publish(doc([dialog('confirmed')]));
    // Set-up: the call must be seen before the publication runs out (seconds of room for any load).
    await seen(t, 'busy/on-the-phone', trail, EXPIRES_S * 1000 - 1000);
    pub.close(); // no refresh, no removal: the publication expires in Kamailio
    // Kamailio sweeps expired publications every second (clean_period 1) and NOTIFYs an empty body.
    await seen(t, 'available/available', trail, EXPIRES_S * 1000 + 20_000);
    // It is the expiry that ended the call, not the socket closing: never earlier than the
    // publication's Expires (less one second: Kamailio keeps expiry times in whole seconds).
    expect(Date.now() - sent).toBeGreaterThanOrEqual((EXPIRES_S - 1) * 1000);
    expect(trail).toEqual(['available/available', 'busy/on-the-phone', 'available/available']);
  }, 60_000);
});
