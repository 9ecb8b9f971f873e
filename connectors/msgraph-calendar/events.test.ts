import { describe, expect, it } from 'vitest';
import { ManualClock, OffsetClock, type Clock } from '../../core/util/clock.ts';
import type { GraphSimulator } from '../msgraph-shared/simulator.ts';
import { APP, calendarCases, id } from './test-support.ts';
import { freePort } from '../../test/support/ports.ts';
import { stopDuring, subscriptionWrites } from '../../test/support/graph-stop.ts';
import { until } from '../../test/support/wait.ts';

const CLIENT_STATE = 'calendar-client-state-0123456789';
const cases = calendarCases();
/** The case's simulator and connector; events tests read no mailbox settings. */
const setup = (n: number, extra: Record<string, unknown>, clock?: Clock) => cases.setup(n, { mailboxSettings: false, ...extra }, clock);

describe('msgraph-calendar working hours', () => {
  // Friday 15 March 2019, 10:00 in Redmond (PDT): the weekend starts at 17:00 local.
  const FRIDAY = Date.parse('2019-03-15T17:00:00Z');
  const pacific = { daysOfWeek: ['monday', 'tuesday', 'wednesday', 'thursday', 'friday'], startTime: '08:00:00.0000000', endTime: '17:00:00.0000000', timeZone: { name: 'Pacific Standard Time' } };

  it('emits off-work for the window outside working hours, in the schedule time zone, away by default', async () => {
    const { sim, h, c } = await setup(2, { workingHours: { enabled: true } }, new ManualClock(FRIDAY));
    sim.workingHours.set(id(0), pacific);
    // Microsoft's example customTimeZone (bias 480, US daylight rules) gives the same window.
    sim.workingHours.set(id(1), { ...pacific, timeZone: { '@odata.type': '#microsoft.graph.customTimeZone', bias: 480, name: 'Customized Time Zone', standardOffset: { time: '02:00:00.0000000', dayOccurrence: 1, dayOfWeek: 'sunday', month: 11, year: 0 }, daylightOffset: { daylightBias: -60, time: '02:00:00.0000000', dayOccurrence: 2, dayOfWeek: 'sunday', month: 3, year: 0 } } });
    await c.start();
    await c.firstCycle();
    for (const person of ['user0', 'user1']) {
      expect(h.signals.filter((s) => s.person === person)).toEqual([
        expect.objectContaining({ category: 'calendar', availability: 'away', activity: 'off-work', from: '2019-03-16T00:00:00.000Z', until: '2019-03-18T15:00:00.000Z', expireType: 'time' }),
      ]);
    }
    // The same window on the next poll: nothing new.
    const n = h.signals.length;
    await c.runCycle();
    expect(h.signals).toHaveLength(n);
  });

  it('uses offline outside hours when configured, and says nothing when working hours are off (the default)', async () => {
    const off = await setup(1, { workingHours: { enabled: true, outsideAvailability: 'offline' } }, new ManualClock(FRIDAY));
    off.sim.workingHours.set(id(0), pacific);
    await off.c.start();
    await off.c.firstCycle();
    expect(off.h.signals).toEqual([expect.objectContaining({ availability: 'offline', activity: 'off-work' })]);
    const none = await setup(1, {}, new ManualClock(FRIDAY));
    none.sim.workingHours.set(id(0), pacific);
    await none.c.start();
    await none.c.firstCycle();
    expect(none.h.signals).toEqual([]);
  });
});

describe('msgraph-calendar event subscriptions', () => {
  async function subscribed(n: number, extra: Record<string, unknown> = {}) {
    const port = await freePort();
    const clock = new OffsetClock();
    const env = await setup(n, { subscriptions: { enabled: true, notificationUrl: `http://127.0.0.1:${port}/graph/events`, listen: { port }, clientState: CLIENT_STATE, debounce: '500ms', ...extra } }, clock);
    await env.c.start();
    await env.c.firstCycle();
    return { ...env, port, clock };
  }
  const schedules = (sim: GraphSimulator) => sim.requests.filter((r) => r.path.endsWith('/calendar/getSchedule'));

  it('subscribes each mailbox after the validation handshake; a change re-reads that mailbox soon, debounced', async () => {
    const { sim, h, c } = await subscribed(3);
    const subs = [...sim.subscriptions.subs.values()];
    expect(subs.map((s) => s.resource).sort()).toEqual(['/users/user0%40corp.example/events', '/users/user1%40corp.example/events', '/users/user2%40corp.example/events']);
    expect(subs.every((s) => s.clientState === CLIENT_STATE && s.changeType === 'created,updated,deleted')).toBe(true);
    expect(sim.subscriptions.deliveries.filter((d) => d.kind === 'validation').every((d) => d.status === 200)).toBe(true);
    const reads = schedules(sim).length;
    const start = Date.now() + 3_600_000;
    // Two mailboxes change within the debounce window: one getSchedule reads both.
    await sim.setCalendar(id(1), [{ start, end: start + 1_800_000, status: 'busy' }]);
    await sim.setCalendar(id(2), [{ start, end: start + 1_800_000, status: 'oof' }]);
    expect(sim.subscriptions.deliveries.filter((d) => d.kind === 'change').map((d) => d.status)).toEqual([202, 202]);
    await h.waitForSignals(2);
    await c.settled();
    expect(schedules(sim).length).toBe(reads + 1);
    expect(h.signals.map((s) => [s.person, s.availability]).sort()).toEqual([['user1', 'busy'], ['user2', 'away']]);
    const change = JSON.parse(sim.subscriptions.deliveries.find((d) => d.kind === 'change')!.body!).value[0];
    expect(change.resourceData['@odata.type']).toBe('#Microsoft.Graph.Event');
  });

  it('refuses a notification with a forged clientState: 403, no re-read', async () => {
    const { sim, c, port } = await subscribed(1);
    const sub = [...sim.subscriptions.subs.values()][0]!;
    const reads = schedules(sim).length;
    const res = await fetch(`http://127.0.0.1:${port}/graph/events`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ value: [{ subscriptionId: sub.id, clientState: 'forged-forged-forged', changeType: 'updated', resource: `Users/${id(0)}/Events/x`, resourceData: { id: 'x' } }] }) });
    expect(res.status).toBe(403);
    await new Promise((r) => setTimeout(r, 250));
    await c.settled();
    expect(schedules(sim).length).toBe(reads);
  });

  it('renews before expiry, keeping the expiry Graph answered, and recreates a removed subscription', async () => {
    // 10 minutes asked: Graph raises it to its 45-minute minimum, and the collector keeps Graph's answer.
    const { sim, c, clock } = await subscribed(1, { lifetime: '10m', renewBefore: '5m' });
    const mine = c.subscriptions().get('user0@corp.example')!;
    const granted = sim.subscriptions.subs.get(mine.id)!.expirationDateTime;
    expect(mine.expiresAt).toBe(granted);
    expect(granted - Date.now()).toBeGreaterThan(40 * 60_000);
    expect(mine.expiresAt - mine.renewAt).toBe(5 * 60_000);
    // Nothing is due yet; at renewAt the maintenance renews.
    await c.maintain();
    expect(sim.requests.filter((r) => r.method === 'PATCH')).toHaveLength(0);
    clock.advance(mine.renewAt - clock.now());
    await c.maintain();
    expect(sim.requests.filter((r) => r.method === 'PATCH' && r.path === `/subscriptions/${mine.id}`)).toHaveLength(1);
    // Removed by Graph (lifecycle event on the notification URL): created again.
    expect(await sim.subscriptions.lifecycle(mine.id, 'subscriptionRemoved', sim.tenantId)).toBe(202);
    await until(() => sim.subscriptions.subs.size === 1 && !sim.subscriptions.subs.has(mine.id));
    await until(() => c.subscriptions().get('user0@corp.example')?.id !== mine.id);
  });

  it('deletes the event subscriptions a previous run left (on any page of the list), not those to another URL', async () => {
    const port = await freePort();
    const notificationUrl = `http://127.0.0.1:${port}/graph/events`;
    const env = await setup(2, { subscriptions: { enabled: true, notificationUrl, listen: { port }, clientState: CLIENT_STATE } });
    env.sim.subscriptionPageSize = 2;
    const left = (sid: string, url: string, mailbox: string) => env.sim.subscriptions.subs.set(sid, { id: sid, kind: 'events', resource: `/users/${mailbox}/events`, ids: [id(0)], changeType: 'created,updated,deleted', notificationUrl: url, expirationDateTime: Date.now() + 5 * 86_400_000, includeResourceData: false, owner: APP.clientId, appId: APP.clientId, clientState: CLIENT_STATE });
    // A crashed run's two subscriptions, behind two of another deployment of the app: the second of them on page 2.
    left('other-1', 'https://other.corp.example/events', 'user0%40corp.example');
    left('other-2', 'https://other.corp.example/events', 'user1%40corp.example');
    left('crashed-1', notificationUrl, 'user0%40corp.example');
    left('crashed-2', notificationUrl, 'user1%40corp.example');
    await env.c.start();
    await env.c.firstCycle();
    const keys = [...env.sim.subscriptions.subs.keys()];
    expect(keys.filter((k) => k.startsWith('crashed-'))).toEqual([]);
    expect(keys.filter((k) => k.startsWith('other-'))).toEqual(['other-1', 'other-2']);
    expect(keys.filter((k) => !k.startsWith('other-')).sort()).toEqual([...env.c.subscriptions().values()].map((s) => s.id).sort());
    expect(env.sim.requests.filter((r) => r.method === 'GET' && r.path === '/subscriptions')).toHaveLength(2);
  });

  it('a listing that failed once is tried again at the next maintenance, which deletes what the previous run left', async () => {
    const port = await freePort();
    const notificationUrl = `http://127.0.0.1:${port}/graph/events`;
    const env = await setup(1, { subscriptions: { enabled: true, notificationUrl, listen: { port }, clientState: CLIENT_STATE } });
    env.sim.subscriptions.subs.set('crashed-1', { id: 'crashed-1', kind: 'events', resource: '/users/user0%40corp.example/events', ids: [id(0)], changeType: 'created,updated,deleted', notificationUrl, expirationDateTime: Date.now() + 5 * 86_400_000, includeResourceData: false, owner: APP.clientId, appId: APP.clientId, clientState: CLIENT_STATE });
    // The run's first listing fails (500, which the client does not retry).
    env.sim.failNext('GET', '/subscriptions', 500);
    await env.c.start();
    await env.c.firstCycle();
    expect(env.sim.subscriptions.subs.has('crashed-1')).toBe(true);
    await env.c.maintain();
    expect(env.sim.subscriptions.subs.has('crashed-1')).toBe(false);
    expect([...env.sim.subscriptions.subs.keys()]).toEqual([env.c.subscriptions().get('user0@corp.example')!.id]);
    // Done once it succeeded: later maintenance does not list again.
    await env.c.maintain();
    expect(env.sim.requests.filter((r) => r.method === 'GET' && r.path === '/subscriptions').map((r) => r.status)).toEqual([500, 200]);
  });

  const writes = subscriptionWrites;

  it('a stop waits for a subscription a lifecycle event is recreating, and deletes it', async () => {
    const { sim, c } = await subscribed(1);
    const mine = c.subscriptions().get('user0@corp.example')!;
    const held = sim.holdNextAnswer('POST', '/subscriptions');
    expect(await sim.subscriptions.lifecycle(mine.id, 'subscriptionRemoved', sim.tenantId)).toBe(202);
    // Graph made the new subscription; its answer is still on the way when the stop begins.
    await held.answered;
    const sent = sim.requests.length;
    await stopDuring(c, held);
    expect([...sim.subscriptions.subs.keys()]).toEqual([]);
    expect(writes(sim, sent)).toEqual([]);
  });

  it('a stop waits for the maintenance under way, which sends nothing after the request in flight', async () => {
    const { sim, c, clock } = await subscribed(2, { renewBefore: '5m' });
    const subs = c.subscriptions();
    const [first, second] = ['user0@corp.example', 'user1@corp.example'].map((m) => subs.get(m)!);
    clock.advance(Math.max(first!.renewAt, second!.renewAt) - clock.now());
    const held = sim.holdNextAnswer('PATCH', `/subscriptions/${first!.id}`);
    const pass = c.maintain();
    await held.answered;
    const sent = sim.requests.length;
    await stopDuring(c, held);
    await pass;
    // The renewal in flight was answered before the stop deleted both; nothing was sent for the second mailbox
    // (neither its renewal nor, as its subscription was deleted by then, a new one).
    expect(writes(sim).filter((r) => r.method === 'PATCH').map((r) => r.path)).toEqual([`/subscriptions/${first!.id}`]);
    expect(writes(sim, sent)).toEqual([]);
    expect([...sim.subscriptions.subs.keys()]).toEqual([]);
  });

  it('deletes its subscriptions when stopped', async () => {
    const { sim, c } = await subscribed(2);
    expect(sim.subscriptions.subs.size).toBe(2);
    await c.stop();
    expect(sim.subscriptions.subs.size).toBe(0);
  });
});
