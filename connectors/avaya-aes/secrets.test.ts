import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/util/clock.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../../test/support/hub.ts';
import { capturingLogger, type CapturedLine } from '../../test/support/log-capture.ts';
import { AesSimulator } from './simulator.ts';

// The CTI user's name and password never reach a log line (at trace, unredacted), an error, a
// health record or an API answer: with a working session, a refused one, and a dropped connection.
const USER = 'cti-user-7Q2';
const PASSWORD = 'pw-9xK!<&>"';
const WRONG = 'wrong-pw-4Zt';
const ADMIN = auth(TEAM_ENV.ADMIN_KEY);
let sim: AesSimulator;
let t: TestHub;
let lines: CapturedLine[];

beforeAll(async () => {
  sim = new AesSimulator({ stations: ['0101'], users: { [USER]: PASSWORD } });
  const port = await sim.start();
  const captured = capturingLogger('trace');
  lines = captured.lines;
  const connector = { kind: 'avaya-aes', host: '127.0.0.1', port, tls: false, username: '${AES_USER}', switchName: 'CM1', retry: { base: '20ms', max: '100ms' } };
  t = await testHub({
    clock: systemClock,
    log: captured.log,
    env: { ...TEAM_ENV, AES_USER: USER, AES_PASSWORD: PASSWORD, AES_WRONG: WRONG },
    config: { ...teamConfig(), connectors: [{ id: 'pbx', ...connector, password: '${AES_PASSWORD}' }, { id: 'pbx-bad', ...connector, password: '${AES_WRONG}' }] },
  });
});
afterAll(async () => {
  await t?.close();
  await sim?.stop();
});

describe('avaya-aes secrets', () => {
  it('appear in no log line, health record or API answer', async () => {
    const end = Date.now() + 5000;
    while (sim.monitorCount < 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
    sim.dropConnections(); // an outage: errors logged and shown
    await new Promise((r) => setTimeout(r, 300));
    const answers: string[] = [];
    for (const url of ['/v1/connectors', '/v1/config', '/v1/directory/report', '/v1/presence/alice/explain']) answers.push((await t.app.inject({ method: 'GET', url, headers: ADMIN })).body);
    for (const id of ['pbx', 'pbx-bad']) answers.push((await t.app.inject({ method: 'POST', url: `/v1/connectors/${id}/test`, headers: ADMIN })).body);
    expect(JSON.parse(answers[5]!)).toMatchObject({ ok: false, code: 'HUB_ERR_AES_AUTH' });
    expect(t.hub.supervisors.get('pbx-bad')!.health().lastError?.code).toBe('HUB_ERR_AES_AUTH');
    const health = JSON.stringify([...t.hub.supervisors.values()].map((s) => s.health()));
    const all = [...answers, health, ...lines.map((l) => l.raw)];
    expect(lines.length).toBeGreaterThan(5);
    for (const secret of [USER, PASSWORD, WRONG]) expect(all.filter((x) => x.includes(secret))).toEqual([]);
  });
});
