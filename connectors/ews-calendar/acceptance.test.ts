/**
 * Issue 15's acceptance, as a user sees it: the hub (real ingest, aggregation, boundaries, HTTP API)
 * with an `ews-calendar` connector against the EWS simulator, on the injected clock.
 */
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../core/util/clock.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../../test/support/hub.ts';
import { ADMIN, advance, at, BOB, closeAfterEach, everythingAbout, presenceOf, skippedBy, userAvailable } from '../../test/support/calendar-acceptance.ts';
import { EwsSimulator } from './simulator.ts';
import { until } from '../../test/support/wait.ts';

const BASIC = { username: 'svc-presence', password: 'ews-secret-0042' };

let t: TestHub | undefined;
let sim: EwsSimulator | undefined;
closeAfterEach(() => [t, sim], () => (t = sim = undefined));

async function hubWith(clock: ManualClock, connector: Record<string, unknown>, password = BASIC.password): Promise<TestHub> {
  const config = teamConfig({ connectors: [{ id: 'exchange', kind: 'ews-calendar', url: sim!.url, auth: { type: 'basic', username: BASIC.username, password: '${EWS_PASSWORD}' }, pollInterval: '1h', ...connector }] });
  config.people = [...(config.people ?? []), { id: 'erin', name: 'Erin Example', identities: ['mailto:erin@corp.example'], teams: ['support'] }, { id: 'gary', name: 'Gary Example', identities: ['mailto:gary@corp.example'], teams: ['support'] }];
  return testHub({ config, env: { ...TEAM_ENV, EWS_PASSWORD: password }, clock });
}

const view = (person: string, headers = BOB): Promise<Record<string, unknown>> => presenceOf(t!, person, headers);
const tick = (clock: ManualClock, ms: number): Promise<void> => advance(t!, clock, ms);
const reads = (): number => sim!.requests.filter((r) => r.op === 'GetUserAvailabilityRequest').length;

describe('ews-calendar acceptance (issue 15)', () => {
  it('a meeting 10:00-10:30 flips at 10:00:00 and 10:30:00 after one poll; private: no subject anywhere; OOF away; a meeting added while streaming shows at its start; an unknown mailbox is reported', async () => {
    sim = new EwsSimulator({ basic: BASIC });
    await sim.start();
    sim.addMailbox('alice@corp.example', { events: [{ start: at('10:00:00'), end: at('10:30:00'), busyType: 'Busy', subject: 'Salary review', location: 'HR 2', isPrivate: true }] });
    sim.addMailbox('erin@corp.example', { oof: { state: 'Enabled' } });
    const clock = new ManualClock(at('09:55:00'));
    t = await hubWith(clock, { impersonation: true, streaming: true, details: 'subject', debounce: '20ms' });
    await userAvailable(t, 'alice', '09:54:00');
    // The probe and one poll (three mailboxes), then the streams.
    await until('the first poll and the subscriptions', () => reads() === 2 && sim!.subscribedMailboxes().length === 2 && sim!.openStreams().length === 1);
    await t.settle();
    const polls = reads();

    await tick(clock, at('09:59:59'));
    expect(await view('alice')).toMatchObject({ class: 'available' });
    await tick(clock, at('10:00:00'));
    expect(await view('alice')).toMatchObject({ class: 'busy', activity: { token: 'in-a-meeting', text: 'In a meeting' } });
    await tick(clock, at('10:29:59'));
    expect(await view('alice')).toMatchObject({ class: 'busy' });
    await tick(clock, at('10:30:00'));
    expect(await view('alice')).toMatchObject({ class: 'available' });
    // No poll was needed for either flip.
    expect(reads()).toBe(polls);
    // The private subject reached no container, nor the admin's explanation and timeline.
    const everything = JSON.stringify([await view('alice', ADMIN), (await t.app.inject({ method: 'GET', url: '/v1/presence/alice/explain', headers: ADMIN })).json(), (await t.app.inject({ method: 'GET', url: '/v1/presence/alice/timeline', headers: ADMIN })).json()]);
    expect(everything).not.toMatch(/Salary|HR 2/);

    expect(await view('erin')).toMatchObject({ class: 'away', activity: { token: 'out-of-office', text: 'Out of office' } });

    // Streaming: a meeting added at 10:31 for 10:40 is read at once and shows at 10:40:00.
    await tick(clock, at('10:31:00'));
    sim.setEvents('alice@corp.example', [{ start: at('10:40:00'), end: at('10:50:00'), busyType: 'Busy', subject: 'Standup' }]);
    await until('the re-read after the stream event', () => reads() === polls + 1);
    await until('the new register', async () => {
      await t!.settle();
      return JSON.stringify((await t!.app.inject({ method: 'GET', url: '/v1/presence/alice/explain', headers: ADMIN })).json()).includes('2026-11-23T10:40:00');
    });
    await tick(clock, at('10:39:59'));
    expect(await view('alice')).toMatchObject({ class: 'available' });
    await tick(clock, at('10:40:00'));
    expect(await view('alice')).toMatchObject({ class: 'busy', activity: { token: 'in-a-meeting', text: 'Standup' } });

    // Gary has no mailbox on the server: on the directory report, the others unaffected.
    const report = (await t.app.inject({ method: 'GET', url: '/v1/directory/report', headers: ADMIN })).json();
    expect(report.connectors).toEqual([expect.objectContaining({ connector: 'exchange', kind: 'ews-calendar', skipped: [{ entry: 'mailto:gary@corp.example', reason: expect.stringMatching(/ErrorMailRecipientNotFound|ErrorNonExistentMailbox/) }] })]);
    const health = (await t.app.inject({ method: 'GET', url: '/v1/connectors', headers: ADMIN })).json().connectors[0];
    expect(health).toMatchObject({ id: 'exchange', state: 'running' });
  });

  it('bad credentials: the connector is stopped with a permanent error naming the cause, no secret shown', async () => {
    sim = new EwsSimulator({ basic: BASIC });
    await sim.start();
    sim.addMailbox('alice@corp.example');
    t = await hubWith(new ManualClock(at('09:55:00')), {}, 'not-the-password');
    let c: Record<string, unknown> = {};
    await until('the connector stopped', async () => {
      c = (await t!.app.inject({ method: 'GET', url: '/v1/connectors', headers: ADMIN })).json().connectors[0];
      return c.state === 'stopped';
    });
    expect(JSON.stringify(c)).toContain('HUB_ERR_EWS_AUTH');
    expect(JSON.stringify(c)).toMatch(/refused the credentials \(HTTP 401\)/);
    expect(JSON.stringify(c)).not.toContain('not-the-password');
    // Stopped: it sends nothing more.
    const n = sim.requests.length;
    await new Promise((r) => setTimeout(r, 300));
    expect(sim.requests.length).toBe(n);
  });
});
