import { describe, expect, it } from 'vitest';
import type { EwsSimulator } from './simulator.ts';
import { ewsCases } from './test-support.ts';
import { until } from '../../test/support/wait.ts';

const cases = ewsCases();

/** Streaming on; the simulator's "minute" is 400 ms so a 1-minute connection ends within the test. */
async function streaming(n: number, extra: Record<string, unknown> = {}, place?: (i: number) => string) {
  const { sim, h, c } = await cases.setup(n, { impersonation: true, streaming: true, streamLifetime: 1, debounce: '50ms', ...extra }, { minuteMs: 400 }, place);
  await c.start();
  await c.firstCycle();
  await until('a stream open', () => sim.openStreams().length > 0);
  return { sim, h, c };
}
const ops = (sim: EwsSimulator, op: string) => sim.requests.filter((r) => r.op === op);

describe('ews-calendar streaming notifications', () => {
  it('subscribes each mailbox calendar, impersonating it, on connections of streamGroupSize', async () => {
    const { sim, c } = await streaming(5, { streamGroupSize: 2 });
    await until('three connections', () => sim.openStreams().length === 3);
    expect(ops(sim, 'Subscribe').map((r) => r.impersonated).sort()).toEqual([0, 1, 2, 3, 4].map((i) => `user${i}@corp.example`));
    expect(sim.openStreams().map((s) => s.length).sort()).toEqual([1, 2, 2]);
    expect(c.streamed().sort()).toEqual(sim.subscribedMailboxes().sort());
  });

  it('keeps a group of subscriptions on the anchor mailbox server, wherever its mailboxes live (affinity)', async () => {
    // user2 sorts after user0 and user1, and lives on another mailbox server: without affinity its
    // subscription would be made there and the group's GetStreamingEvents would not find it.
    const { sim, h } = await streaming(3, {}, (i) => `MBX0${i + 1}`);
    await until('one connection with the three subscriptions', () => sim.openStreams().some((s) => s.length === 3));
    const subscribes = ops(sim, 'Subscribe');
    expect(subscribes.map((r) => r.anchor)).toEqual(['user0@corp.example', 'user0@corp.example', 'user0@corp.example']);
    expect(subscribes.every((r) => r.preferAffinity === true)).toBe(true);
    // The first answer set the X-BackEndOverrideCookie; every later request of the group sends it.
    const cookie = subscribes[1]!.cookie;
    expect(cookie).toMatch(/^MBX01~/);
    expect(subscribes[2]!.cookie).toBe(cookie);
    expect(ops(sim, 'GetStreamingEvents').at(-1)).toMatchObject({ anchor: 'user0@corp.example', preferAffinity: true, cookie });
    const start = Math.ceil(Date.now() / 1000) * 1000 + 60_000;
    sim.setEvents('user2@corp.example', [{ start, end: start + 1_800_000, busyType: 'Busy' }]);
    const [s] = await h.waitForSignals(1);
    expect(s).toMatchObject({ person: 'user2', availability: 'busy' });
  });

  it('follows the directory: a mailbox added to the list is subscribed at the next poll', async () => {
    const { sim, h, c } = await streaming(2);
    sim.addMailbox('late@corp.example');
    (h.ctx.config as { mailboxes?: string[] }).mailboxes = ['user0@corp.example', 'user1@corp.example', 'late@corp.example'];
    await c.runCycle();
    await until('three subscriptions on an open stream', () => c.streamed().length === 3 && sim.openStreams().some((s) => s.length === 3));
    expect(c.streamed().sort()).toEqual(['late@corp.example', 'user0@corp.example', 'user1@corp.example']);
  });

  it('a meeting added during streaming is read at once, without waiting for a poll', async () => {
    const { sim, h } = await streaming(3);
    const polls = ops(sim, 'GetUserAvailabilityRequest').length;
    const start = Math.ceil(Date.now() / 1000) * 1000 + 60_000;
    sim.setEvents('user1@corp.example', [{ start, end: start + 1_800_000, busyType: 'Busy' }]);
    const [s] = await h.waitForSignals(1);
    expect(s).toMatchObject({ person: 'user1', availability: 'busy', from: new Date(start).toISOString() });
    // One re-read of that mailbox alone.
    expect(ops(sim, 'GetUserAvailabilityRequest').slice(polls).map((r) => r.mailboxes)).toEqual([['user1@corp.example']]);
  });

  it('opens the connection again when the server ends it at its lifetime (ConnectionStatus Closed)', async () => {
    const { sim, h } = await streaming(1);
    await until('the third connection', () => ops(sim, 'GetStreamingEvents').length >= 3 && sim.openStreams().length === 1, 5000);
    // The same subscription on each: no re-subscribe for a clean end.
    expect(ops(sim, 'Subscribe')).toHaveLength(1);
    const start = Date.now() + 60_000;
    sim.setEvents('user0@corp.example', [{ start, end: start + 60_000, busyType: 'OOF' }]);
    await h.waitForSignals(1);
  });

  it('after a subscription error: subscribes again, reads the group again, and keeps streaming', async () => {
    const { sim, h, c } = await streaming(2);
    const before = { subscribe: ops(sim, 'Subscribe').length, reads: ops(sim, 'GetUserAvailabilityRequest').length };
    sim.expireSubscriptions();
    await until('subscribed again', () => ops(sim, 'Subscribe').length === before.subscribe + 2 && sim.openStreams().length === 1 && sim.subscribedMailboxes().length === 2);
    await c.settled();
    await until('the group read again', () => ops(sim, 'GetUserAvailabilityRequest').length > before.reads);
    expect(ops(sim, 'GetUserAvailabilityRequest').slice(before.reads)[0]!.mailboxes.slice().sort()).toEqual(['user0@corp.example', 'user1@corp.example']);
    const start = Date.now() + 60_000;
    sim.setEvents('user0@corp.example', [{ start, end: start + 60_000, busyType: 'Busy' }]);
    await h.waitForSignals(1);
  });
});
