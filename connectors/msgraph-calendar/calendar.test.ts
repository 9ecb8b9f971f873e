import { describe, expect, it } from 'vitest';
import { MsGraphCalendarConnector } from './connector.ts';
import { calendarCases } from './test-support.ts';
import { connectionTest } from '../../core/connector/test-connection.ts';

const { setup } = calendarCases();

describe('msgraph-calendar against the simulator', () => {
  it('reads times in the zone Graph names: a getSchedule answered in Pacific time, automatic replies scheduled in Berlin time', async () => {
    const { sim, h, c } = await setup(2);
    // As Microsoft's published getSchedule example answers, whatever the Prefer header asked.
    sim.scheduleTimeZone = 'Pacific Standard Time';
    const start = Math.ceil(Date.now() / 60_000) * 60_000 + 60 * 60_000;
    sim.calendars.set('00000000-0000-4000-9000-000000000000', [{ start, end: start + 30 * 60_000, status: 'busy' }]);
    const oofFrom = start - 30 * 60_000;
    const oofUntil = start + 86_400_000;
    sim.automaticReplies.set('00000000-0000-4000-9000-000000000001', { status: 'scheduled', start: oofFrom, end: oofUntil, timeZone: 'W. Europe Standard Time' });
    await c.start();
    await c.firstCycle();
    expect(h.signals.find((s) => s.person === 'user0')).toMatchObject({ availability: 'busy', from: new Date(start).toISOString(), until: new Date(start + 30 * 60_000).toISOString() });
    expect(h.signals.find((s) => s.person === 'user1')).toMatchObject({ availability: 'away', activity: 'out-of-office', from: new Date(oofFrom).toISOString(), until: new Date(oofUntil).toISOString() });
  });

  it('emits a meeting with its start and end, so presence changes on time without a poll then', async () => {
    const { sim, h, c } = await setup(45);
    const start = Math.ceil(Date.now() / 1000) * 1000 + 60_000;
    sim.calendars.set('00000000-0000-4000-9000-000000000003', [
      { start, end: start + 30 * 60_000, status: 'busy', subject: 'Merger talks', location: 'Room 1' },
      { start: start + 3_600_000, end: start + 7_200_000, status: 'busy', subject: 'Secret', isPrivate: true },
    ]);
    sim.automaticReplies.set('00000000-0000-4000-9000-000000000004', { status: 'alwaysEnabled' });
    await c.start();
    await c.firstCycle();
    // 45 mailboxes in batches of 20.
    expect(sim.requests.filter((r) => r.path.endsWith('/calendar/getSchedule'))).toHaveLength(3);
    const meetings = h.signals.filter((s) => s.person === 'user3');
    expect(meetings).toHaveLength(2);
    expect(meetings[0]).toMatchObject({ category: 'calendar', availability: 'busy', activity: 'in-a-meeting', from: new Date(start).toISOString(), until: new Date(start + 30 * 60_000).toISOString(), expireType: 'time' });
    expect(JSON.stringify(h.signals)).not.toMatch(/Merger|Room 1|Secret/);
    expect(h.signals.find((s) => s.person === 'user4')).toMatchObject({ availability: 'away', activity: 'out-of-office', endpoint: 'mailbox-oof' });
    // Unchanged calendar: nothing new. A cancelled meeting is neutralised.
    const n = h.signals.length;
    await c.runCycle();
    expect(h.signals).toHaveLength(n);
    sim.calendars.set('00000000-0000-4000-9000-000000000003', [{ start: start + 3_600_000, end: start + 7_200_000, status: 'busy', isPrivate: true }]);
    await c.runCycle();
    expect(h.signals.slice(n)).toEqual([expect.objectContaining({ person: 'user3', endpoint: meetings[0]!.endpoint, availability: 'available' })]);
  });

  it('shows subjects of non-private meetings only when exposeSubjects is set', async () => {
    const { sim, h, c } = await setup(1, { exposeSubjects: true, mailboxSettings: false });
    const start = Date.now() + 60_000;
    sim.calendars.set('00000000-0000-4000-9000-000000000000', [{ start, end: start + 60_000, status: 'busy', subject: 'Weekly sync', location: 'Room 2' }]);
    await c.start();
    await c.firstCycle();
    expect(h.signals[0]?.activity).toEqual({ token: 'in-a-meeting', text: 'Weekly sync' });
  });

  it('refuses a malformed getSchedule answer with a clear error and keeps going', async () => {
    const { sim, h, c } = await setup(2, { mailboxSettings: false });
    sim.malformNext('getSchedule', JSON.stringify({ value: [{ scheduleId: 'user0@corp.example', availabilityView: 'xyz' }] }));
    const errors = h.errors;
    await c.start();
    await c.firstCycle();
    expect(errors[0]).toMatchObject({ code: 'HUB_ERR_GRAPH_MALFORMED', message: expect.stringContaining('value.0.availabilityView') });
    await c.runCycle();
    expect(errors).toHaveLength(1);
  });

  it('runs one cycle at a time: a cycle held back by Retry-After is not joined by one per interval', async () => {
    const { sim, c } = await setup(1, { interval: '100ms', mailboxSettings: false });
    sim.throttle(1, 1);
    await c.start();
    await c.firstCycle();
    // The throttled getSchedule and its resend after the second of Retry-After; the ten intervals
    // that passed meanwhile started no cycle of their own.
    expect(sim.requests.filter((r) => r.path.endsWith('/calendar/getSchedule')).map((r) => r.status)).toEqual([429, 200]);
  });

  it('testConnection tells bad credentials from an unreachable endpoint', async () => {
    const { h } = await setup(1);
    const bad = await connectionTest(new MsGraphCalendarConnector({ ...h.ctx, config: { ...h.ctx.config, clientSecret: 'nope' } }));
    expect(bad).toMatchObject({ ok: false, kind: 'permanent' });
    const down = await connectionTest(new MsGraphCalendarConnector({ ...h.ctx, config: { ...h.ctx.config, graphBaseUrl: 'http://127.0.0.1:9' } }));
    expect(down).toMatchObject({ ok: false, kind: 'transient' });
  });
});
