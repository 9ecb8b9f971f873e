/**
 * Directory identities without silent losses (issue 22), as a user sees them: a real slapd
 * (test/support/peers/slapd.ts) with entries in every phone format, a rename by modrdn, a shared
 * mail, a 2 KB displayName and more people than slapd's default size limit of 500; the hub syncs
 * it with the ldap-directory connector and signals go through the public API.
 */
import { Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { systemClock } from '../../core/util/clock.ts';
import { startSlapd, type Slapd } from '../support/peers/slapd.ts';
import { auth, TEAM_ENV, testHub, type TestHub } from '../support/hub.ts';

const SUFFIX = 'dc=corp,dc=example';
const PEOPLE = `ou=People,${SUFFIX}`;
const HUB_DN = `cn=hub,ou=Services,${SUFFIX}`;
/** A bind account left at slapd's default limit: 500 entries, paged or not (size.prtotal defaults to the hard limit). */
const LIMITED_DN = `cn=limited,ou=Services,${SUFFIX}`;
const FILLER = 600;
const LONG_NAME = 'K'.repeat(2048);
const ADMIN = auth(TEAM_ENV.ADMIN_KEY);
const PUB = auth(TEAM_ENV.PUB_KEY);

function person(uid: string, attrs: Record<string, string> = {}): string {
  const lines = [`dn: uid=${uid},${PEOPLE}`, 'objectClass: inetOrgPerson', `uid: ${uid}`, `cn: ${uid}`, `sn: ${uid}`];
  for (const [k, v] of Object.entries(attrs)) lines.push(`${k}: ${v}`);
  return `${lines.join('\n')}\n`;
}

const seed = [
  `dn: ${PEOPLE}\nobjectClass: organizationalUnit\nou: People\n`,
  `dn: ou=Services,${SUFFIX}\nobjectClass: organizationalUnit\nou: Services\n`,
  `dn: ${HUB_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: hub\nuserPassword: hub-secret\n`,
  `dn: ${LIMITED_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: limited\nuserPassword: limited-secret\n`,
  // Every phone format of the issue.
  person('erin', { telephoneNumber: 'ext. 2003' }),
  person('frank', { telephoneNumber: 'x2004' }),
  person('grace', { telephoneNumber: '+1 555 0100 x2005' }),
  person('heidi', { telephoneNumber: '2006' }),
  person('ivan', { telephoneNumber: '555.100.0109' }),
  person('judy', { mail: 'judy@corp.example', telephoneNumber: '2007' }),
  person('carol', { mail: 'shared@corp.example' }),
  person('dave', { mail: 'shared@corp.example' }),
  person('kim', { displayName: LONG_NAME, telephoneNumber: 'call reception' }),
  ...Array.from({ length: FILLER }, (_, i) => person(`u${String(i).padStart(4, '0')}`)),
].join('\n');

let slapd: Slapd;
let t: TestHub;

beforeAll(async () => {
  slapd = await startSlapd({
    ldif: seed,
    quick: true,
    databaseConfig: [
      // The hub's account under the default size limit, with paged searches allowed to go past it
      // (the README's fix); the limited account as slapd ships.
      `limits dn.exact="${HUB_DN}" size=500 size.prtotal=unlimited`,
      `limits dn.exact="${LIMITED_DN}" size=500`,
      'access to attrs=userPassword by anonymous auth by * none',
      'access to * by users read by * none',
    ].join('\n'),
  });
  const ldap = (id: string, bindDn: string, env: string) => ({
    id,
    kind: 'ldap-directory',
    url: slapd.url,
    bindDn,
    bindPassword: `\${${env}}`,
    baseDn: PEOPLE,
    phone: { defaultCountryCode: '1', nationalPrefix: '' },
    teams: { from: 'none' },
    incrementalInterval: '1s',
    retryDelay: '1h',
  });
  t = await testHub({
    config: { auth: { keys: [{ name: 'admin', secret: '${ADMIN_KEY}', roles: ['admin'] }, { name: 'pub', secret: '${PUB_KEY}', roles: ['publisher'] }] }, connectors: [ldap('corp-ldap', HUB_DN, 'HUB_PW'), ldap('limited-ldap', LIMITED_DN, 'LIMITED_PW')] },
    env: { ...TEAM_ENV, HUB_PW: 'hub-secret', LIMITED_PW: 'limited-secret' },
    clock: systemClock,
  });
  const deadline = Date.now() + 15_000;
  while (!t.hub.directory.has('erin') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
}, 60_000);
afterAll(async () => {
  await t?.close();
  await slapd?.stop();
});

function signal(identity: string) {
  return t.app.inject({ method: 'POST', url: '/v1/signals', headers: PUB, payload: { identity, source: 'pbx', category: 'phone', availability: 'busy' } });
}

async function presenceOf(person: string): Promise<string> {
  await t.settle();
  return (await t.app.inject({ method: 'GET', url: `/v1/presence/${person}`, headers: ADMIN })).json().class;
}

async function report() {
  return (await t.app.inject({ method: 'GET', url: '/v1/directory/report', headers: ADMIN })).json();
}

describe('ldap-directory identities against slapd', () => {
  it('syncs everyone past the size limit by paging', () => {
    // 600 fillers and 9 people; carol and dave are people too, only their shared mail resolves to nobody.
    expect(t.hub.directory.size).toBe(FILLER + 9);
  });

  it.each([
    ['tel:2003', 'erin'],
    ['tel:2004', 'frank'],
    ['tel:2005', 'grace'],
    ['tel:+1-555-0100;ext=2005', 'grace'],
    ['tel:2006', 'heidi'],
    // The directory's own format, read with the directory's dialing plan (the same rules as the entry).
    ['tel:555.100.0109', 'ivan'],
    ['tel:+15551000109', 'ivan'],
  ])('a signal for %s reaches %s', async (identity, who) => {
    const res = await signal(identity);
    expect(res.statusCode, res.body).toBe(202);
    expect(await presenceOf(who)).toBe('busy');
  });

  it('refuses a shared mail naming both people, in the answer and on the report', async () => {
    const res = await signal('mailto:shared@corp.example');
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'HUB_ERR_IDENTITY_CONFLICT', detail: expect.stringContaining('identity shared by carol and dave') });
    const r = await report();
    expect(r.unknown).toContainEqual(expect.objectContaining({ source: 'pbx', subject: 'identity mailto:shared@corp.example', reason: expect.stringContaining('identity shared by carol and dave') }));
    expect(r.conflicts).toContainEqual(expect.objectContaining({ identity: 'mailto:shared@corp.example', people: ['carol', 'dave'], reason: expect.stringContaining('identity shared by carol and dave') }));
    // An identity nobody has is still "unknown".
    expect((await signal('mailto:nobody@corp.example')).json()).toMatchObject({ code: 'HUB_ERR_UNKNOWN_PERSON' });
  });

  it('reports the 2 KB displayName cut to 256 characters and the phone field that is no number', async () => {
    const corp = (await report()).connectors.find((c: { connector: string }) => c.connector === 'corp-ldap');
    expect(corp.truncated).toEqual([{ entry: `uid=kim,${PEOPLE}`, person: 'kim', attribute: 'displayName', length: 2048, limit: 256 }]);
    expect(corp.unusable).toEqual([{ entry: `uid=kim,${PEOPLE}`, person: 'kim', attribute: 'telephoneNumber', value: 'call reception', reason: 'not a phone number: no tel: identity' }]);
    expect(t.hub.directory.person('kim')!.name).toBe(LONG_NAME.slice(0, 256));
  });

  it('a bind account under the default limit keeps nothing and says how to fix it', async () => {
    const deadline = Date.now() + 20_000;
    const limited = async () => (await t.app.inject({ method: 'GET', url: '/v1/connectors', headers: ADMIN })).json().connectors.find((c: { id: string }) => c.id === 'limited-ldap');
    while ((await limited()).lastError === null && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const c = await limited();
    expect(c.state).toBe('degraded');
    expect(c.lastError).toMatchObject({ code: 'HUB_ERR_LDAP_SIZE_LIMIT', message: expect.stringContaining("size limit exceeded: raise the bind account's limit (olcLimits / MaxPageSize) or enable paging") });
    const r = (await report()).connectors.find((x: { connector: string }) => x.connector === 'limited-ldap');
    expect(r).toMatchObject({ people: 0, lastSync: null });
  });

  it('a rename by modrdn keeps the person reachable by mail and phone within the incremental interval', async () => {
    const root = new Client({ url: slapd.url });
    await root.bind(slapd.rootDn, slapd.rootPassword);
    try {
      await root.modifyDN(`uid=judy,${PEOPLE}`, 'uid=judith');
    } finally {
      await root.unbind();
    }
    const deadline = Date.now() + 20_000;
    while (!t.hub.directory.has('judith') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(t.hub.directory.has('judith')).toBe(true);
    expect(t.hub.directory.has('judy')).toBe(false);
    expect(t.hub.directory.conflicts.map((c) => c.identity)).toEqual(['mailto:shared@corp.example']);
    for (const identity of ['mailto:judy@corp.example', 'tel:2007']) {
      const res = await signal(identity);
      expect(res.statusCode, res.body).toBe(202);
    }
    expect(await presenceOf('judith')).toBe('busy');
  });
});
