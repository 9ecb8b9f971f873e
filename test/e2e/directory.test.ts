import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/util/clock.ts';
import { auth, TEAM_ENV, teamConfig, testHub, type TestHub } from '../support/hub.ts';

let t: TestHub;
let dir: string;
const ADMIN = auth(TEAM_ENV.ADMIN_KEY);

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ph-dir-'));
  writeFileSync(
    join(dir, 'people.csv'),
    ['id,name,identities,teams', 'erin,Erin Example,sip:erin@corp.example;tel:+15550199,support', 'frank,Frank Example,sip:frank@corp.example;tel:+15550199,sales'].join('\n'),
  );
  const config = teamConfig({
    connectors: [
      { id: 'people-file', kind: 'file-directory', path: join(dir, 'people.csv') },
      { id: 'pbx-presence', kind: 'sip-presence', enabled: false, server: 'sip:127.0.0.1:5060' },
    ],
  });
  config.people = [...(config.people ?? []), { id: 'nosip', identities: ['mailto:nosip@corp.example'] }];
  t = await testHub({ config, env: TEAM_ENV, clock: systemClock });
});
afterAll(async () => {
  await t.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('directory connectors through the hub', () => {
  it('adds the people of a directory connector and resolves their identities', async () => {
    const deadline = Date.now() + 5000;
    while (!t.hub.directory.has('erin') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(t.hub.directory.has('erin')).toBe(true);
    const res = await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { identity: 'sip:erin@corp.example', source: 'sip', category: 'user', availability: 'dnd' } });
    expect(res.statusCode).toBe(202);
    await t.settle();
    expect((await t.app.inject({ method: 'GET', url: '/v1/presence/erin', headers: ADMIN })).json().class).toBe('dnd');
  });

  it('reports conflicts, per connector too', async () => {
    const report = (await t.app.inject({ method: 'GET', url: '/v1/directory/report', headers: ADMIN })).json();
    expect(report.conflicts).toEqual([expect.objectContaining({ identity: 'tel:+15550199', people: ['erin', 'frank'] })]);
    const file = report.connectors.find((c: { connector: string }) => c.connector === 'people-file');
    expect(file).toMatchObject({ kind: 'file-directory', people: 2 });
    expect(file.conflicts).toEqual([expect.objectContaining({ identity: 'tel:+15550199' })]);
    // The sip-presence connector finds people by sip: identities: the report lists who has none.
    expect(report.withoutIdentity).toEqual([expect.objectContaining({ connector: 'pbx-presence', needs: ['sip:'], people: ['nosip'], count: 1 })]);
  });
});

describe('relationships', () => {
  it('lets a person edit their own blocked list, and changes the container at once', async () => {
    const before = (await t.app.inject({ method: 'GET', url: '/v1/presence/bob', headers: auth(TEAM_ENV.MALLORY_KEY) })).json();
    expect(before.class).toBe('offline');
    await t.app.inject({ method: 'POST', url: '/v1/signals', headers: auth(TEAM_ENV.PUB_KEY), payload: { person: 'bob', source: 'api', category: 'user', availability: 'busy', activity: 'in-a-meeting' } });
    await t.settle();
    expect((await t.app.inject({ method: 'GET', url: '/v1/presence/bob', headers: auth(TEAM_ENV.MALLORY_KEY) })).json().activity.token).toBe('in-a-meeting');
    // Bob may not edit Alice's lists; he may edit his own.
    expect((await t.app.inject({ method: 'PUT', url: '/v1/people/alice/relationships', headers: auth(TEAM_ENV.BOB_KEY), payload: { blocked: [] } })).statusCode).toBe(403);
    const put = await t.app.inject({ method: 'PUT', url: '/v1/people/bob/relationships', headers: auth(TEAM_ENV.BOB_KEY), payload: { blocked: ['mallory'] } });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ id: 'bob', personal: [], blocked: ['mallory'] });
    expect((await t.app.inject({ method: 'GET', url: '/v1/presence/bob', headers: auth(TEAM_ENV.MALLORY_KEY) })).json()).toMatchObject({ class: 'offline', version: 0 });
    expect((await t.app.inject({ method: 'PUT', url: '/v1/people/bob/relationships', headers: ADMIN, payload: { blocked: ['ghost'] } })).statusCode).toBe(422);
  });
});
