import { afterEach, describe, expect, it, vi } from 'vitest';
import type { SignalInput } from '../../core/model/signal.ts';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import { aesConfigSchema } from './config.ts';
import { avayaAesManifest } from './manifest.ts';
import { encodeFrame } from './framing.ts';
import { NS_CSTA } from './requests.ts';
import { UNKNOWN_STARTS_CAP } from './collector.ts';
import { AesSimulator } from './simulator.ts';
import { reply } from './simulator-replies.ts';
import { until } from '../../test/support/wait.ts';

const PEOPLE = [
  { id: 'alice', identities: ['tel:+15550104750'] },
  { id: 'bob', identities: ['ext:4751'] },
  { id: 'carol', identities: ['tel:+15550104752'] },
  { id: 'ghost', identities: ['ext:4999'] }, // not administered on the switch
];
const sims: AesSimulator[] = [];
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  vi.useRealTimers();
  for (const s of stops.splice(0)) await s().catch(() => undefined);
  for (const s of sims.splice(0)) await s.stop();
});

async function setup(opts: { fragment?: boolean; config?: Record<string, unknown>; licences?: number; monitors?: number; snapshotState?: 'compound' | 'simple'; before?: (sim: AesSimulator) => void } = {}) {
  const sim = new AesSimulator({ stations: ['4750', '4751', '4752'], users: { hub: 'secret' }, ...(opts.fragment !== undefined ? { fragment: opts.fragment } : {}), ...(opts.licences !== undefined ? { licences: opts.licences } : {}), ...(opts.snapshotState !== undefined ? { snapshotState: opts.snapshotState } : {}) });
  sims.push(sim);
  const port = await sim.start();
  opts.before?.(sim);
  const config = aesConfigSchema.parse({ host: '127.0.0.1', port, tls: false, username: 'hub', password: 'secret', switchName: 'CM1', retry: { base: '20ms', max: '200ms' }, lapseAfter: '5s', ...opts.config });
  const h = connectorHarness({ id: 'aes', config, people: PEOPLE });
  const sup = h.supervisor(avayaAesManifest);
  stops.push(() => sup.stop());
  await sup.start();
  await until('monitors started', () => sim.monitorCount === (opts.monitors ?? 3));
  return { sim, h, sup };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
/** The last signal of a person's phone register. */
const last = (signals: readonly SignalInput[], person: string): SignalInput | undefined => signals.filter((s) => s.person === person).at(-1);
const lineOf = (signals: readonly SignalInput[], person: string): string => {
  const s = last(signals, person);
  if (s === undefined) return 'none';
  if (s.until !== undefined) return 'lapsed';
  return `${String(s.availability ?? '-')}/${s.activity ?? '-'}`;
};

describe('avaya-aes against the DMCC simulator', () => {
  it('an inbound call rings, is answered (busy, in a call) and cleared (available again)', async () => {
    const { sim, h } = await setup();
    await until('idle baseline', () => lineOf(h.signals, 'alice') === 'available/-');
    const call = sim.dial('+15559990000', '4750');
    await until('ringing', () => lineOf(h.signals, 'alice') === 'available/ringing');
    sim.answer(call, '4750');
    await until('in a call', () => lineOf(h.signals, 'alice') === 'busy/on-the-phone');
    expect(last(h.signals, 'alice')).toMatchObject({ category: 'phone', endpoint: '4750', source: 'aes' });
    sim.hangup(call, '4750');
    await until('idle', () => lineOf(h.signals, 'alice') === 'available/-');
  });

  it('an outbound call between two stations: the caller dials, the callee rings, both talk', async () => {
    const { sim, h } = await setup({ fragment: true });
    await until('baseline', () => lineOf(h.signals, 'bob') === 'available/-' && lineOf(h.signals, 'alice') === 'available/-');
    const call = sim.dial('4751', '4750');
    await until('bob dials, alice rings', () => lineOf(h.signals, 'bob') === 'available/dialing' && lineOf(h.signals, 'alice') === 'available/ringing');
    sim.answer(call, '4750');
    await until('both in a call', () => lineOf(h.signals, 'bob') === 'busy/on-the-phone' && lineOf(h.signals, 'alice') === 'busy/on-the-phone');
    sim.hangup(call, '4751');
    await until('both idle', () => lineOf(h.signals, 'bob') === 'available/-' && lineOf(h.signals, 'alice') === 'available/-');
  });

  it('hold shows on hold and stays busy; two calls on one line, one cleared, stays busy', async () => {
    const { sim, h } = await setup();
    const first = sim.dial('+15559990001', '4750');
    sim.answer(first, '4750');
    await until('in a call', () => lineOf(h.signals, 'alice') === 'busy/on-the-phone');
    sim.hold(first, '4750');
    await until('on hold', () => lineOf(h.signals, 'alice') === 'busy/on-hold');
    const second = sim.dial('+15559990002', '4750');
    sim.answer(second, '4750');
    await until('in a call (second)', () => lineOf(h.signals, 'alice') === 'busy/on-the-phone');
    sim.hangup(second, '4750');
    await until('back on hold', () => lineOf(h.signals, 'alice') === 'busy/on-hold');
    sim.retrieve(first, '4750');
    await until('in a call again', () => lineOf(h.signals, 'alice') === 'busy/on-the-phone');
    sim.hangup(first, '4750');
    await until('idle', () => lineOf(h.signals, 'alice') === 'available/-');
  });

  it('a transfer leaves the transferring line idle and the others in a call; a conference keeps everyone busy', async () => {
    const { sim, h } = await setup();
    const a = sim.dial('+15559990003', '4750');
    sim.answer(a, '4750');
    sim.hold(a, '4750');
    const b = sim.dial('4750', '4751');
    sim.answer(b, '4751');
    await until('alice and bob in a call', () => lineOf(h.signals, 'alice') === 'busy/on-the-phone' && lineOf(h.signals, 'bob') === 'busy/on-the-phone');
    const merged = sim.transfer('4750', a, b);
    await until('alice idle after the transfer', () => lineOf(h.signals, 'alice') === 'available/-');
    expect(lineOf(h.signals, 'bob')).toBe('busy/on-the-phone');
    sim.hold(merged, '4751');
    const c = sim.dial('4751', '4752');
    sim.answer(c, '4752');
    await until('carol in a call', () => lineOf(h.signals, 'carol') === 'busy/on-the-phone');
    sim.conference('4751', merged, c);
    await sleep(100);
    expect(lineOf(h.signals, 'bob')).toBe('busy/on-the-phone');
    expect(lineOf(h.signals, 'carol')).toBe('busy/on-the-phone');
    sim.hangup(merged, '4751');
    await sleep(100);
    expect(lineOf(h.signals, 'bob')).toBe('available/-');
    expect(lineOf(h.signals, 'carol')).toBe('busy/on-the-phone'); // still talking to the outside caller
  });

  it('a dropped connection: reconnect, monitors back, a call that ended during the drop is idle afterwards', async () => {
    const { sim, h, sup } = await setup();
    const call = sim.dial('+15559990004', '4750');
    sim.answer(call, '4750');
    await until('in a call', () => lineOf(h.signals, 'alice') === 'busy/on-the-phone');
    sim.dropConnections();
    sim.calls.endQuietly(call); // the caller hung up while the hub was not connected
    await until('degraded', () => sup.health().state === 'degraded');
    expect(sup.health().lastError?.code).toBe('HUB_ERR_AES_DISCONNECTED');
    await until('monitors back', () => sim.monitorCount === 3);
    await until('idle after the re-read', () => lineOf(h.signals, 'alice') === 'available/-');
    await until('running', () => sup.health().state === 'running');
    // Events flow on the new session.
    const next = sim.dial('+15559990005', '4750');
    await until('ringing on the new session', () => lineOf(h.signals, 'alice') === 'available/ringing');
    sim.hangup(next, '+15559990005');
  });

  it('a line that stays unknown after a drop lapses instead of keeping its lamp', async () => {
    const { sim, h } = await setup({ config: { lapseAfter: '100ms' } });
    const call = sim.dial('+15559990006', '4750');
    sim.answer(call, '4750');
    await until('in a call', () => lineOf(h.signals, 'alice') === 'busy/on-the-phone');
    await sim.stop();
    await until('lapsed', () => lineOf(h.signals, 'alice') === 'lapsed');
  });

  it('while AE Services is away, health shows the next reconnect the retry settings make', async () => {
    const { sim, sup } = await setup({ config: { retry: { base: '10s', max: '40s' } } });
    expect(sup.health().nextRetryAt).toBeUndefined();
    const t = Date.now();
    await sim.stop();
    await until('degraded with a next retry', () => sup.health().state === 'degraded' && sup.health().nextRetryAt !== undefined);
    // retry.base 10 s with jitter: 5-10 s out (the supervisor's default would say 0.5-1 s).
    expect(sup.health().nextRetryAt! - t).toBeGreaterThanOrEqual(5000);
    expect(sup.health().nextRetryAt! - Date.now()).toBeLessThanOrEqual(10_000);
  });

  it('keeps the session alive: with a 1 s session nothing expires over several durations', async () => {
    const { sim, sup } = await setup({ config: { sessionDuration: 1 } });
    // Reset at a third of the duration: seven resets span more than two durations of the session.
    await until('seven resets', () => sim.requests.filter((r) => r.name === 'ResetApplicationSessionTimer').length >= 7, 10_000);
    expect(sim.expired).toBe(0);
    expect(sup.health().state).toBe('running');
  });

  it('a session AE Services expires (keep-alive lost) is started again with its monitors', async () => {
    const { sim } = await setup({ config: { sessionDuration: 1 } });
    sim.ignoreResets = true;
    await until('expired', () => sim.expired >= 1, 4000);
    sim.ignoreResets = false;
    await until('monitors back on a new session', () => sim.monitorCount === 3 && sim.sessionCount === 1);
  });

  it('bad credentials: stopped with a permanent error naming the cause', async () => {
    const sim = new AesSimulator({ stations: ['4750'], users: { hub: 'secret' } });
    sims.push(sim);
    const port = await sim.start();
    const h = connectorHarness({ id: 'aes', config: aesConfigSchema.parse({ host: '127.0.0.1', port, tls: false, username: 'hub', password: 'wrong', switchName: 'CM1' }), people: PEOPLE });
    const sup = h.supervisor(avayaAesManifest);
    stops.push(() => sup.stop());
    await sup.start();
    expect(sup.health().state).toBe('stopped');
    expect(sup.health().lastError).toMatchObject({ code: 'HUB_ERR_AES_AUTH' });
    expect(sup.health().lastError!.message).toMatch(/invalidApplicationInfo.*username and password/);
    expect(sup.health().lastError!.message).not.toContain('wrong');
  });

  it('an unknown extension and a line without a licence are on the directory report, not in health', async () => {
    const { h, sup } = await setup({ licences: 2, monitors: 2 });
    await until('report', () => sup.report()?.skipped.length === 2);
    const skipped = sup.report()!.skipped;
    expect(skipped).toContainEqual({ entry: 'ghost (extension 4999)', reason: expect.stringMatching(/not administered.*HUB_ERR_AES_UNKNOWN_EXTENSION/) });
    expect(skipped).toContainEqual({ entry: 'carol (extension 4752)', reason: expect.stringMatching(/no DMCC licence.*HUB_ERR_AES_LICENCE/) });
    expect(sup.health().state).toBe('running');
    expect(sup.health().lastError).toBeUndefined();
    expect(h.signals.filter((s) => s.person === 'ghost')).toEqual([]);
  });

  it('a monitor AE Services ends is started again, and the line is right again', async () => {
    const { sim, h } = await setup();
    const call = sim.dial('+15559990007', '4750');
    sim.answer(call, '4750');
    await until('in a call', () => lineOf(h.signals, 'alice') === 'busy/on-the-phone');
    sim.endMonitors('4750');
    await until('monitor back', () => sim.monitorsOf('4750') === 1);
    await sleep(100);
    expect(lineOf(h.signals, 'alice')).toBe('busy/on-the-phone'); // re-read, no flicker
    expect(h.signals.filter((s) => s.person === 'alice' && s.until !== undefined)).toEqual([]);
    sim.hangup(call, '4750');
    await until('idle', () => lineOf(h.signals, 'alice') === 'available/-');
  });

  it('a password changed while connected: the reconnect stops with the cause in health, no more attempts', async () => {
    const { sim, sup } = await setup();
    sim.users.set('hub', 'rotated');
    sim.dropConnections();
    await until('auth error in health', () => sup.health().lastError?.code === 'HUB_ERR_AES_AUTH');
    const n = sim.requests.length;
    await sleep(500);
    expect(sim.requests.length).toBe(n);
    expect(sup.health().state).toBe('degraded');
  });

  it('people added to or removed from the directory get or lose their monitor at the next rescan', async () => {
    // The rescan is the connector's only interval: faked, so a rescan happens when the test moves the
    // time on by directoryRescan (the connection, the simulator and the other timers are real).
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const rescan = (): Promise<unknown> => vi.advanceTimersByTimeAsync(1000);
    const sim = new AesSimulator({ stations: ['4750', '4751'], users: { hub: 'secret' } });
    sims.push(sim);
    const port = await sim.start();
    const people = [{ id: 'alice', identities: ['ext:4750'] }];
    const h = connectorHarness({ id: 'aes', config: aesConfigSchema.parse({ host: '127.0.0.1', port, tls: false, username: 'hub', password: 'secret', switchName: 'CM1', directoryRescan: '1s' }), people: [...PEOPLE] });
    const directory = { ...h.ctx.directory, people: () => people.map((p) => ({ ...p, teams: [], personal: [], blocked: [] }) as never) };
    const c = avayaAesManifest.create({ ...h.ctx, directory });
    stops.push(() => c.stop());
    await c.start();
    await until('alice monitored', () => sim.monitorsOf('4750') === 1 && sim.monitorCount === 1);
    people.length = 0;
    people.push({ id: 'bob', identities: ['ext:4751'] });
    await rescan();
    await until('bob monitored, alice not', () => sim.monitorsOf('4751') === 1 && sim.monitorsOf('4750') === 0, 4000);
    expect(lineOf(h.signals, 'alice')).toBe('lapsed');
    // A station refused (not yet administered) is tried again at the next rescan.
    people.push({ id: 'carol', identities: ['ext:4752'] });
    await rescan();
    await until('carol refused', () => c.report!().skipped.some((x) => x.entry === 'carol (extension 4752)'), 4000);
    sim.addStation('4752');
    await rescan();
    // The report is written once the rescan has finished, a moment after the monitor started.
    await until('carol monitored and off the report', () => sim.monitorsOf('4752') === 1 && c.report!().skipped.length === 0, 4000);
    expect(c.report!().skipped).toEqual([]);
  });

  it('a line AE Services cannot re-read after a reconnect lapses instead of keeping its lamp, until its next event', async () => {
    const { sim, h, sup } = await setup();
    const call = sim.dial('+15559990008', '4750');
    sim.answer(call, '4750');
    await until('in a call', () => lineOf(h.signals, 'alice') === 'busy/on-the-phone');
    sim.refuseSnapshots = true;
    sim.dropConnections();
    await until('monitors back', () => sim.monitorCount === 3);
    await until('lapsed', () => lineOf(h.signals, 'alice') === 'lapsed');
    await until('every line counted', () => (sup.health().counts.snapshotsFailed ?? 0) >= 3);
    sim.hangup(call, '4750');
    const next = sim.dial('+15559990009', '4750');
    await until('ringing', () => lineOf(h.signals, 'alice') === 'available/ringing');
    sim.hangup(next, '4750');
  });

  it('SnapshotDevice answered with simpleCallState (ECMA-323): calls already there ring and dial, none shows as a call in progress', async () => {
    const { h } = await setup({
      snapshotState: 'simple',
      before: (sim) => {
        sim.dial('+15559990010', '4750'); // alice: callReceived
        sim.dial('4751', '4752'); // bob: callDelivered, carol: callReceived
      },
    });
    await until('ringing and dialing from the snapshot', () => lineOf(h.signals, 'alice') === 'available/ringing' && lineOf(h.signals, 'bob') === 'available/dialing' && lineOf(h.signals, 'carol') === 'available/ringing');
    expect(h.signals.filter((s) => s.activity === 'on-the-phone')).toEqual([]);
  });

  it('messages it cannot use: an unknown event is ignored, empty and unreadable ones are counted and named, frames of one read and frames cut over reads are all read', async () => {
    const { sim, h, sup } = await setup();
    await until('idle baseline', () => lineOf(h.signals, 'alice') === 'available/-');
    const [x] = sim.monitorIdsOf('4750');
    const delivered = `<?xml version="1.0" encoding="UTF-8"?><csta:DeliveredEvent xmlns:csta="${NS_CSTA}"><csta:monitorCrossRefID>${x}</csta:monitorCrossRefID><csta:connection><csta:callID>900</csta:callID><csta:deviceID>4750:CM1::0</csta:deviceID></csta:connection><csta:alertingDevice><csta:deviceIdentifier>4750:CM1::0</csta:deviceIdentifier></csta:alertingDevice><csta:localConnectionInfo>alerting</csta:localConnectionInfo><csta:cause>newCall</csta:cause></csta:DeliveredEvent>`;
    const bytes = Buffer.concat([
      encodeFrame(9999, `<CallInformationEvent xmlns="${NS_CSTA}"><monitorCrossRefID>${x}</monitorCrossRefID></CallInformationEvent>`),
      encodeFrame(9999, ''),
      encodeFrame(9999, ' \r\n'),
      encodeFrame(9999, '<DeliveredEvent><monitorCrossRefID>'),
      encodeFrame(9999, delivered),
    ]);
    sim.sendRaw(bytes.subarray(0, bytes.length - 40));
    await sleep(20);
    sim.sendRaw(bytes.subarray(bytes.length - 40));
    await until('ringing from the event after the bad ones', () => lineOf(h.signals, 'alice') === 'available/ringing');
    expect(sup.health().counts.badMessages).toBe(3);
    const errors = sup.health().recent.filter((r) => r.code === 'HUB_ERR_AES_BAD_MESSAGE').map((r) => r.message ?? '');
    expect(errors.some((m) => /empty message/.test(m))).toBe(true);
    expect(errors.some((m) => /white space/.test(m))).toBe(true);
    expect(errors.some((m) => /malformed XML/.test(m))).toBe(true);
    expect(sim.requests.filter((r) => r.name === 'StartApplicationSession')).toHaveLength(1); // the connection was kept
  });

  it('ApplicationSessionTerminated naming another session (an earlier one) leaves the current session alone', async () => {
    const { sim, h, sup } = await setup();
    await until('idle baseline', () => lineOf(h.signals, 'alice') === 'available/-');
    sim.sendRaw(encodeFrame(9999, reply.terminated('469421A9364D46D6444524AE41BEAD72-0')));
    const call = sim.dial('+15559990012', '4750');
    await until('ringing on the same session', () => lineOf(h.signals, 'alice') === 'available/ringing');
    expect(sim.requests.filter((r) => r.name === 'StartApplicationSession')).toHaveLength(1);
    expect(sup.health().recent.filter((r) => !r.ok)).toEqual([]);
    sim.hangup(call, '+15559990012');
  });

  it('an answer for one station that cannot be read: that line is on the report, the others are monitored, the connection stays', async () => {
    // AE Services started carol's monitor all the same: the hub holds two, the simulator three.
    const { sim, h, sup } = await setup({ monitors: 3, before: (s) => s.unreadableMonitorStart.add('4752') });
    await until('carol on the report', () => (sup.report()?.skipped ?? []).some((x) => x.entry.startsWith('carol')));
    expect(sup.report()!.skipped.find((x) => x.entry.startsWith('carol'))!.reason).toMatch(/extension 4752: unreadable answer to MonitorStart 4752.*monitorCrossRefID/);
    expect(sup.health().counts.badMessages).toBe(1);
    const call = sim.dial('+15559990013', '4750');
    await until('alice rings', () => lineOf(h.signals, 'alice') === 'available/ringing');
    expect(sim.requests.filter((r) => r.name === 'StartApplicationSession')).toHaveLength(1);
    sim.hangup(call, '+15559990013');
  });

  it('MonitorStart applied but answered unusably: tried again at rescans up to the cap, then given up (health, report) without more monitors piling up; a new session starts afresh', async () => {
    // The rescan interval is faked (as in the directory rescan test): each rescan happens when the test
    // moves the time on by directoryRescan, and is awaited by its count; the sockets and other timers are real.
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { sim, h, sup } = await setup({ monitors: 3, config: { directoryRescan: '1s' }, before: (s) => s.unreadableMonitorStart.add('4752') });
    const counts = (): Readonly<Record<string, number>> => sup.health().counts;
    const rescan = async (): Promise<void> => {
      const n = counts().rescans ?? 0;
      await vi.advanceTimersByTimeAsync(1000);
      await until('a rescan done', () => (counts().rescans ?? 0) > n);
    };
    for (let i = 0; i < UNKNOWN_STARTS_CAP && counts().monitorsGivenUp !== 1; i++) await rescan();
    await until('carol given up', () => counts().monitorsGivenUp === 1);
    expect(counts().monitorStartsUnknown).toBe(UNKNOWN_STARTS_CAP);
    expect(sim.monitorsOf('4752')).toBe(UNKNOWN_STARTS_CAP);
    expect(sup.health().recent.some((r) => r.code === 'HUB_ERR_AES_UNMONITORABLE' && (r.message ?? '').includes('carol (extension 4752) cannot be monitored on this session'))).toBe(true);
    expect(sup.report()!.skipped.find((x) => x.entry.startsWith('carol'))!.reason).toMatch(/cannot be monitored on this session: 3 MonitorStart answers could not be used.*\[HUB_ERR_AES_UNMONITORABLE\]$/);
    // Further rescans leave carol alone: no MonitorStart, no further monitor on AE Services.
    const starts = (): number => sim.requests.filter((r) => r.name === 'MonitorStart').length;
    const before = { starts: starts(), rescans: counts().rescans ?? 0 };
    await rescan();
    await rescan();
    expect(counts().rescans).toBe(before.rescans + 2);
    expect(starts()).toBe(before.starts);
    expect(sim.monitorsOf('4752')).toBe(UNKNOWN_STARTS_CAP);
    // The other lines are monitored all along.
    const call = sim.dial('+15559990015', '4750');
    await until('alice rings', () => lineOf(h.signals, 'alice') === 'available/ringing');
    sim.hangup(call, '+15559990015');
    // A new session releases the old one and its monitors; carol is tried afresh.
    sim.unreadableMonitorStart.delete('4752');
    sim.dropConnections();
    await until('carol monitored on the new session', () => sim.monitorsOf('4752') === 1 && !(sup.report()?.skipped ?? []).some((x) => x.entry.startsWith('carol')));
  });

  it('events from a monitor the hub could not name (its MonitorStart answer unusable): that monitor is stopped, not adopted', async () => {
    const { sim, h, sup } = await setup({ monitors: 3, before: (s) => s.unreadableMonitorStart.add('4752') });
    await until('carol on the report', () => (sup.report()?.skipped ?? []).some((x) => x.entry.startsWith('carol')));
    expect(sim.monitorsOf('4752')).toBe(1);
    const call = sim.dial('+15559990016', '4752');
    await until('the unnamed monitor stopped', () => sim.monitorsOf('4752') === 0);
    expect(sup.health().counts.unknownMonitorsStopped).toBe(1);
    expect(lineOf(h.signals, 'carol')).not.toBe('available/ringing');
    sim.hangup(call, '+15559990016');
  });

  it('MonitorStart never answered while the session still answers: that line only (tried again at the rescan), no reconnect; its late answer is stopped by name', async () => {
    const { sim, sup } = await setup({ monitors: 3, config: { requestTimeout: '1s' }, before: (s) => s.unansweredMonitorStart.add('4752') });
    await until('carol on the report', () => (sup.report()?.skipped ?? []).some((x) => x.entry.startsWith('carol') && /no answer from AE Services/.test(x.reason)));
    expect(sup.health().counts.monitorStartsUnknown).toBe(1);
    expect(sim.requests.filter((r) => r.name === 'StartApplicationSession')).toHaveLength(1); // the connection was kept
    // The answer comes after all, naming the monitor: the hub stops it.
    sim.sendRaw(encodeFrame(77, reply.monitorStarted(sim.monitorIdsOf('4752')[0]!)));
    await until('the late monitor stopped', () => sim.monitorsOf('4752') === 0);
    expect(sup.health().counts.unknownMonitorsStopped).toBe(1);
  });

  it('a frame header that cannot be one: the connection is dropped and started again, the cause in health', async () => {
    const { sim, h, sup } = await setup();
    await until('idle baseline', () => lineOf(h.signals, 'alice') === 'available/-');
    sim.sendRaw(Buffer.from('GET / HTTP/1.1\r\n\r\n', 'latin1'));
    await until('a new session', () => sim.requests.filter((r) => r.name === 'StartApplicationSession').length === 2);
    await until('monitors back', () => sim.monitorCount === 3);
    expect(sup.health().recent.some((r) => r.code === 'HUB_ERR_AES_BAD_MESSAGE' && /invoke id/.test(r.message ?? ''))).toBe(true);
    const call = sim.dial('+15559990011', '4750');
    await until('ringing on the new session', () => lineOf(h.signals, 'alice') === 'available/ringing');
    sim.hangup(call, '+15559990011');
  });

  it('maxMonitors is respected: the lines beyond it are on the report, not monitored', async () => {
    const { sim, sup } = await setup({ config: { maxMonitors: 2 }, monitors: 2 });
    await until('report', () => (sup.report()?.skipped.length ?? 0) === 2);
    expect(sim.monitorCount).toBe(2);
    expect(sup.report()!.skipped).toContainEqual({ entry: 'ghost (extension 4999)', reason: 'over the limit of 2 monitors per session (maxMonitors)' });
    expect(sup.report()!.skipped).toContainEqual({ entry: 'carol (extension 4752)', reason: 'over the limit of 2 monitors per session (maxMonitors)' });
  });

  it('an extension two people claim is monitored for neither and shown as a conflict', async () => {
    const sim = new AesSimulator({ stations: ['4750'], users: { hub: 'secret' } });
    sims.push(sim);
    const port = await sim.start();
    const h = connectorHarness({ id: 'aes', config: aesConfigSchema.parse({ host: '127.0.0.1', port, tls: false, username: 'hub', password: 'secret', switchName: 'CM1' }), people: [{ id: 'alice', identities: ['ext:4750'] }, { id: 'dan', identities: ['tel:+4930004750'] }] });
    const c = avayaAesManifest.create(h.ctx);
    stops.push(() => c.stop());
    await c.start();
    await sleep(100);
    expect(sim.monitorCount).toBe(0);
    expect(c.report!().conflicts).toEqual([{ identity: 'ext:4750', people: ['alice', 'dan'] }]);
  });

  it('a configured line for someone the directory does not know is on the report', async () => {
    const sim = new AesSimulator({ stations: ['4750', '4751'], users: { hub: 'secret' } });
    sims.push(sim);
    const port = await sim.start();
    const h = connectorHarness({ id: 'aes', config: aesConfigSchema.parse({ host: '127.0.0.1', port, tls: false, username: 'hub', password: 'secret', switchName: 'CM1', lines: [{ extension: '4751', person: 'nobody' }, { extension: '4750', person: 'alice' }] }), people: [{ id: 'alice', identities: ['mailto:alice@corp.example'] }] });
    const c = avayaAesManifest.create(h.ctx);
    stops.push(() => c.stop());
    await c.start();
    await until('alice monitored', () => sim.monitorsOf('4750') === 1);
    expect(sim.monitorsOf('4751')).toBe(0);
    expect(c.report!().skipped).toEqual([{ entry: 'nobody (extension 4751)', reason: 'lines: no such person in the directory' }]);
  });
});
