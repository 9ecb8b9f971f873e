import { describe, expect, it } from 'vitest';
import { EwsCalendarConnector } from './connector.ts';
import type { EwsSimulator } from './simulator.ts';
import { BASIC, ewsCases } from './test-support.ts';
import { connectionTest } from '../../core/connector/test-connection.ts';

const cases = ewsCases();
const { setup } = cases;
const availability = (sim: EwsSimulator) => sim.requests.filter((r) => r.op === 'GetUserAvailabilityRequest');

describe('ews-calendar against the EWS simulator', () => {
  it('reads free/busy in batches of at most 100 and emits each meeting with its window; private meetings carry no subject', async () => {
    const { sim, h, c } = await setup(150, { details: 'subject' });
    const start = Math.ceil(Date.now() / 60_000) * 60_000 + 60_000;
    sim.setEvents('user3@corp.example', [
      { start, end: start + 30 * 60_000, busyType: 'Busy', subject: 'Weekly sync', location: 'Room 1' },
      { start: start + 3_600_000, end: start + 7_200_000, busyType: 'Busy', subject: 'Secret', isPrivate: true },
    ]);
    await c.start();
    await c.firstCycle();
    // The probe, then 150 mailboxes in two requests.
    expect(availability(sim).map((r) => r.mailboxes.length)).toEqual([1, 100, 50]);
    const mine = h.signals.filter((s) => s.person === 'user3');
    expect(mine).toEqual([
      expect.objectContaining({ category: 'calendar', availability: 'busy', activity: { token: 'in-a-meeting', text: 'Weekly sync' }, from: new Date(start).toISOString(), until: new Date(start + 30 * 60_000).toISOString(), expireType: 'time' }),
      expect.objectContaining({ availability: 'busy', activity: 'in-a-meeting', from: new Date(start + 3_600_000).toISOString() }),
    ]);
    expect(JSON.stringify(h.signals)).not.toMatch(/Secret|Room 1/);
    // Unchanged: nothing new. Cancelled: cleared at once.
    const n = h.signals.length;
    await c.runCycle();
    expect(h.signals).toHaveLength(n);
    sim.setEvents('user3@corp.example', [{ start: start + 3_600_000, end: start + 7_200_000, busyType: 'Busy', isPrivate: true }]);
    await c.runCycle();
    expect(h.signals.slice(n)).toEqual([expect.objectContaining({ person: 'user3', endpoint: mine[0]!.endpoint, availability: 'available' })]);
  });

  it('a server allowing fewer mailboxes a request than batchSize: the batch is halved and read again', async () => {
    const { sim, h, c } = await setup(90, {}, { maxMailboxes: 40 });
    const start = Date.now() + 600_000;
    sim.setEvents('user89@corp.example', [{ start, end: start + 600_000, busyType: 'Busy' }]);
    await c.start();
    await c.firstCycle();
    expect(availability(sim).map((r) => [r.mailboxes.length, r.status])).toEqual([[1, 200], [90, 500], [45, 500], [23, 200], [23, 200], [23, 200], [21, 200]]);
    expect(h.signals.map((s) => s.person)).toEqual(['user89']);
  });

  it('reads out of office with impersonation: Enabled and Scheduled', async () => {
    const { sim, h, c } = await setup(2, { impersonation: true });
    const from = Date.now() - 3_600_000;
    sim.setOof('user0@corp.example', { state: 'Enabled' });
    sim.setOof('user1@corp.example', { state: 'Scheduled', start: from, end: from + 86_400_000 });
    await c.start();
    await c.firstCycle();
    expect(h.signals.find((s) => s.person === 'user0')).toMatchObject({ endpoint: 'mailbox-oof', availability: 'away', activity: 'out-of-office' });
    expect(h.signals.find((s) => s.person === 'user1')).toMatchObject({ endpoint: 'mailbox-oof', from: new Date(Math.floor(from / 1000) * 1000).toISOString(), until: new Date(Math.floor(from / 1000) * 1000 + 86_400_000).toISOString() });
    expect(sim.requests.filter((r) => r.op === 'GetUserOofSettingsRequest').map((r) => r.impersonated)).toEqual(['user0@corp.example', 'user1@corp.example']);
  });

  it('puts an unknown mailbox on the directory report and keeps reading the others', async () => {
    const { sim, h, c } = await setup(2);
    h.ctx.directory.people(); // user9 is in the directory but has no mailbox on the server
    (h.ctx.config as { mailboxes?: string[] }).mailboxes = ['user0@corp.example', 'ghost@corp.example', 'user1@corp.example'];
    const start = Date.now() + 600_000;
    sim.setEvents('user1@corp.example', [{ start, end: start + 600_000, busyType: 'Busy' }]);
    await c.start();
    await c.firstCycle();
    expect(c.report().skipped).toEqual([{ entry: 'mailto:ghost@corp.example', reason: expect.stringContaining('ErrorMailRecipientNotFound') }]);
    expect(h.signals.map((s) => s.person)).toEqual(['user1']);
  });

  it('with impersonation, a first mailbox that cannot be impersonated neither stops the connector nor its batch', async () => {
    const { sim, h, c } = await setup(3, { impersonation: true });
    sim.denyImpersonation('user0@corp.example');
    const start = Date.now() + 600_000;
    sim.setEvents('user2@corp.example', [{ start, end: start + 600_000, busyType: 'Busy' }]);
    await c.start();
    await c.firstCycle();
    expect(h.signals.map((s) => s.person)).toEqual(['user2']);
    expect(c.report().skipped).toEqual([{ entry: 'mailto:user0@corp.example', reason: expect.stringContaining('ErrorImpersonateUserDenied') }]);
    // The next poll anchors on another mailbox at once.
    const n = sim.requests.length;
    await c.runCycle();
    expect(sim.requests.slice(n).filter((r) => r.op === 'GetUserAvailabilityRequest').map((r) => r.impersonated)).toEqual(['user1@corp.example']);
  });

  it('waits BackOffMilliseconds after ErrorServerBusy and sends the same request again, without a failure', async () => {
    const { sim, h, c } = await setup(3);
    const errors = h.errors;
    await c.start();
    await c.firstCycle();
    const from = sim.requests.length;
    sim.throttleNext(400);
    await c.runCycle();
    const after = sim.requests.slice(from);
    expect(after.map((r) => r.op)).toEqual(['GetUserAvailabilityRequest (ErrorServerBusy)', 'GetUserAvailabilityRequest']);
    expect(after[1]!.at - after[0]!.at).toBeGreaterThanOrEqual(400 - 2);
    expect(errors).toEqual([]);
  });

  it('HTTP 503 (EWS requests queuing in IIS) is waited out like ErrorServerBusy, Retry-After honoured, without a failure', async () => {
    const { sim, h, c } = await setup(2);
    const errors = h.errors;
    await c.start();
    await c.firstCycle();
    const from = sim.requests.length;
    sim.answerNext('GetUserAvailabilityRequest', { http: 503, retryAfter: '0' });
    const start = Date.now() + 600_000;
    sim.setEvents('user1@corp.example', [{ start, end: start + 600_000, busyType: 'Busy' }]);
    await c.runCycle();
    expect(sim.requests.slice(from).map((r) => r.op)).toEqual(['GetUserAvailabilityRequest (503)', 'GetUserAvailabilityRequest']);
    expect(h.signals.map((s) => s.person)).toEqual(['user1']);
    expect(errors).toEqual([]);
  });

  it('errors in an HTTP 200 response message are read by their ResponseCode: ErrorServerBusy waited out, a mailbox error is that mailbox\'s', async () => {
    const { sim, h, c } = await setup(3, { impersonation: true });
    const errors = h.errors;
    sim.answerNext('GetUserOofSettingsRequest', { http: 200, code: 'ErrorServerBusy', message: 'The server cannot service this request right now. Try again later.', values: { BackOffMilliseconds: '50' } });
    sim.answerNext('GetUserOofSettingsRequest', { http: 200, code: 'ErrorMailRecipientNotFound', message: 'The recipient was not found.' });
    sim.setOof('user2@corp.example', { state: 'Enabled' });
    await c.start();
    await c.firstCycle();
    const oofs = sim.requests.filter((r) => r.op.startsWith('GetUserOofSettingsRequest')).map((r) => r.op);
    expect(oofs.slice(0, 3)).toEqual(['GetUserOofSettingsRequest (ErrorServerBusy)', 'GetUserOofSettingsRequest (ErrorMailRecipientNotFound)', 'GetUserOofSettingsRequest']);
    expect(c.report().skipped).toEqual([{ entry: expect.stringMatching(/^mailto:user\d@corp\.example$/), reason: expect.stringContaining('ErrorMailRecipientNotFound') }]);
    expect(h.signals.find((s) => s.person === 'user2')).toMatchObject({ availability: 'away', activity: 'out-of-office' });
    expect(errors).toEqual([]);
    // ErrorServerBusy in the FreeBusyResponses of GetUserAvailability: the request is held back BackOffMilliseconds and sent again.
    const from = sim.requests.length;
    sim.answerNext('GetUserAvailabilityRequest', { http: 200, code: 'ErrorServerBusy', message: 'The server cannot service this request right now. Try again later.', values: { BackOffMilliseconds: '300' } });
    await c.runCycle();
    const reads = sim.requests.slice(from).filter((r) => r.op.startsWith('GetUserAvailabilityRequest'));
    expect(reads.map((r) => r.op)).toEqual(['GetUserAvailabilityRequest (ErrorServerBusy)', 'GetUserAvailabilityRequest']);
    expect(reads[1]!.at - reads[0]!.at).toBeGreaterThanOrEqual(300 - 2);
    expect(JSON.stringify(c.report().skipped)).not.toContain('ErrorServerBusy');
    expect(errors).toEqual([]);
  });

  it('app-only OAuth: a client-credentials token, every request impersonating with X-AnchorMailbox; a wrong secret is permanent', async () => {
    const OAUTH = { clientId: '0e5c1a2b-0000-4000-8000-00000000e005', clientSecret: 'oauth-client-secret' };
    const { sim, h } = await setup(2, {}, { oauth: OAUTH });
    const start = Date.now() + 600_000;
    sim.setEvents('user1@corp.example', [{ start, end: start + 600_000, busyType: 'Busy' }]);
    const oauth = { ...h.ctx.config, auth: { type: 'oauth' as const, tenantId: sim.tenantId, tokenEndpoint: sim.tokenEndpoint, ...OAUTH } };
    const ok = new EwsCalendarConnector({ ...h.ctx, config: oauth });
    cases.connector(ok);
    await ok.start();
    await ok.firstCycle();
    expect(h.signals.map((s) => s.person)).toEqual(['user1']);
    expect(sim.requests.filter((r) => r.op === 'GetUserAvailabilityRequest').every((r) => r.impersonated === 'user0@corp.example')).toBe(true);
    expect(sim.requests.filter((r) => r.op === 'token')).toHaveLength(1);
    // A token Exchange refuses before the cache renewed it (expired early, revoked): one fresh token, the cycle goes on.
    sim.invalidateTokens();
    sim.setEvents('user0@corp.example', [{ start, end: start + 600_000, busyType: 'OOF' }]);
    await ok.runCycle();
    expect(h.signals.map((s) => s.person)).toEqual(['user1', 'user0']);
    expect(sim.requests.filter((r) => r.op === 'token')).toHaveLength(2);
    const bad = new EwsCalendarConnector({ ...h.ctx, config: { ...oauth, auth: { ...oauth.auth, clientSecret: 'wrong-client-secret' } } });
    cases.connector(bad);
    await expect(bad.start()).rejects.toMatchObject({ code: 'HUB_ERR_EWS_AUTH', kind: 'permanent' });
    expect(await connectionTest(bad)).toMatchObject({ ok: false, kind: 'permanent', code: 'HUB_ERR_EWS_AUTH' });
  });

  it('the FreeBusyMerged view: runs of the merged string as blocks, no subjects', async () => {
    const { sim, h, c } = await setup(1, { view: 'FreeBusyMerged', mergedInterval: 30, details: 'subject' });
    const start = Math.ceil(Date.now() / 1_800_000) * 1_800_000 + 1_800_000;
    sim.setEvents('user0@corp.example', [{ start, end: start + 3_600_000, busyType: 'Busy', subject: 'Hidden in merged view' }, { start: start + 3_600_000, end: start + 5_400_000, busyType: 'OOF' }]);
    await c.start();
    await c.firstCycle();
    expect(h.signals.map((s) => [s.availability, s.from, s.until])).toEqual([
      ['busy', new Date(start).toISOString(), new Date(start + 3_600_000).toISOString()],
      ['away', new Date(start + 3_600_000).toISOString(), new Date(start + 5_400_000).toISOString()],
    ]);
    expect(JSON.stringify(h.signals)).not.toContain('Hidden');
  });

  it('bad credentials: start fails permanently naming the cause, testConnection says so without the secret', async () => {
    const { h } = await setup(1);
    const bad = new EwsCalendarConnector({ ...h.ctx, config: { ...h.ctx.config, auth: { type: 'basic', username: BASIC.username, password: 'wrong-password' } } });
    cases.connector(bad);
    await expect(bad.start()).rejects.toMatchObject({ code: 'HUB_ERR_EWS_AUTH', kind: 'permanent', message: expect.stringContaining('401') });
    const t = await connectionTest(bad);
    expect(t).toMatchObject({ ok: false, kind: 'permanent', code: 'HUB_ERR_EWS_AUTH' });
    expect(t.message).not.toContain('wrong-password');
  });
});
