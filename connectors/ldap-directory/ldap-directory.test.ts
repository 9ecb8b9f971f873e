/**
 * Integration tests against a real OpenLDAP (slapd) started on a free loopback port from a
 * throwaway configuration and seeded with slapadd (test/support/peers/slapd.ts).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Attribute, Change, Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Presence } from '../../core/model/presence.ts';
import { classActivity } from '../../core/model/presence.ts';
import type { AvailabilityClass } from '../../core/model/availability.ts';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import { asRootOf, freePort, startSlapd, type Slapd } from '../../test/support/peers/slapd.ts';
import type { LdapDirectoryConnector } from './connector.ts';
import { ldapConfigSchema, type LdapConfigInput } from './config.ts';
import { ldapDirectoryManifest } from './manifest.ts';
import { HUB_DN, startLdapDirectory } from './simulator.ts';
import { connectionTest } from '../../core/connector/test-connection.ts';

const fixtures = join(import.meta.dirname, 'fixtures');
let slapd: Slapd;

beforeAll(async () => {
  slapd = await startLdapDirectory();
});
afterAll(async () => {
  await slapd?.stop();
});

function config(over: Partial<LdapConfigInput> = {}) {
  return ldapConfigSchema.parse({
    url: slapd.url,
    bindDn: HUB_DN,
    bindPassword: 'hub-secret',
    baseDn: 'ou=People,dc=corp,dc=example',
    pageSize: 2,
    phone: { defaultCountryCode: '1', nationalPrefix: '' },
    teams: { from: 'groups', groupBaseDn: 'ou=Groups,dc=corp,dc=example' },
    identities: [
      { attribute: 'mail', as: 'mailto' },
      { attribute: 'telephoneNumber', as: 'tel' },
      { attribute: 'ipPhone', as: 'tel' },
      { attribute: 'labeledURI', as: 'labeled-uri' },
      { attribute: 'msRTCSIP-PrimaryUserAddress', as: 'sip' },
      { attribute: 'proxyAddresses', as: 'proxy-addresses' },
    ],
    publish: { attribute: 'description', interval: '1h', batchSize: 10 },
    ...over,
  });
}

function setup(over: Partial<LdapConfigInput> = {}) {
  const h = connectorHarness({ id: 'corp-ldap', config: config(over) });
  const connector = ldapDirectoryManifest.create(h.ctx) as LdapDirectoryConnector;
  return { h, connector };
}

const asRoot = <T>(fn: (c: Client) => Promise<T>): Promise<T> => asRootOf(slapd, fn);

function presence(person: string, cls: AvailabilityClass, availability: number): Presence {
  return { person, availability, class: cls, activity: classActivity(cls), since: Date.now(), version: 1 };
}

describe('ldap-directory against OpenLDAP', () => {
  it('full sync: identities, teams from groupOfNames, skipped entries and a conflict in the report', async () => {
    const { h, connector } = setup();
    const r = await connector.fullSync();
    expect(r).toMatchObject({ entries: 6, people: 4, skipped: 2 });
    expect(h.directory.replaced).toHaveLength(1);
    const byId = new Map(h.directory.replaced[0]!.map((p) => [p.id, p]));
    expect([...byId.keys()].sort()).toEqual(['alice', 'bob', 'carol', 'dave']);
    expect(byId.get('alice')).toMatchObject({ name: 'Alice Example', teams: ['sales'] });
    expect([...byId.get('alice')!.identities].sort()).toEqual(
      ['mailto:a.example@corp.example', 'mailto:alice@corp.example', 'sip:alice@corp.example', 'tel:+15550100101', 'tel:2001'].sort(),
    );
    expect(byId.get('bob')).toMatchObject({ name: 'Bob Builder', teams: ['sales'], identities: ['mailto:bob@corp.example', 'tel:+15550100102', 'xmpp:bob@chat.corp.example'] });
    expect(byId.get('carol')!.teams).toEqual(['support']);
    // Progress was reported page by page (page size 2) and at the end.
    expect(h.directory.progress.length).toBeGreaterThanOrEqual(4);
    expect(h.directory.progress.at(-1)).toEqual([6, 6]);

    const report = connector.report();
    expect(report.people).toBe(4);
    expect(report.skipped).toEqual(
      expect.arrayContaining([
        { entry: 'cn=Printer Account,ou=People,dc=corp,dc=example', reason: 'no uid attribute' },
        expect.objectContaining({ entry: 'uid=bad id,ou=People,dc=corp,dc=example', reason: expect.stringMatching(/^invalid person id "bad id"/) }),
        expect.objectContaining({ entry: 'uid=carol,ou=People,dc=corp,dc=example', reason: expect.stringMatching(/identity conflict: mailto:shared@corp.example: identity shared by carol and dave/) }),
      ]),
    );
    expect(report.conflicts).toEqual([
      { identity: 'mailto:shared@corp.example', people: ['carol', 'dave'], entries: ['uid=carol,ou=People,dc=corp,dc=example', 'uid=dave,ou=People,dc=corp,dc=example'] },
    ]);
  });

  it('incremental sync picks up a modified entry (modifyTimestamp) and a group change, and nothing else', async () => {
    const { h, connector } = setup();
    await connector.fullSync();
    await asRoot(async (c) => {
      await c.modify('uid=bob,ou=People,dc=corp,dc=example', new Change({ operation: 'replace', modification: new Attribute({ type: 'telephoneNumber', values: ['+1 555 010 0199'] }) }));
      await c.modify('cn=Sales,ou=Groups,dc=corp,dc=example', new Change({ operation: 'add', modification: new Attribute({ type: 'member', values: ['uid=dave,ou=People,dc=corp,dc=example'] }) }));
    });
    const r = await connector.incrementalSync();
    expect(r.changed).toBe(2);
    const up = new Map(h.directory.upserted.map((p) => [p.id, p]));
    expect([...up.keys()].sort()).toEqual(['bob', 'dave']);
    expect(up.get('bob')!.identities).toContain('tel:+15550100199');
    expect(up.get('dave')!.teams).toEqual(['sales']);
    // Never a replace from an incremental sync.
    expect(h.directory.replaced).toHaveLength(1);
    // A second incremental with no change upserts nothing.
    expect((await connector.incrementalSync()).changed).toBe(0);
    await asRoot((c) => c.modify('cn=Sales,ou=Groups,dc=corp,dc=example', new Change({ operation: 'delete', modification: new Attribute({ type: 'member', values: ['uid=dave,ou=People,dc=corp,dc=example'] }) })));
  });

  it('runs under the supervisor: start syncs in the background and reports progress in health', async () => {
    const { h } = setup();
    const sup = h.supervisor(ldapDirectoryManifest);
    await sup.start();
    for (let i = 0; i < 100 && h.directory.replaced.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
    expect(h.directory.replaced[0]).toHaveLength(4);
    await sup.stop();
    const health = sup.health();
    expect(health.state).toBe('stopped');
    expect(health.progress).toEqual({ done: 6, total: 6 });
    expect(health.counts.fullSyncs).toBe(1);
  });

  it('a bad bind password is permanent; nothing is replaced', async () => {
    const { h, connector } = setup({ bindPassword: 'wrong-password' });
    const t = await connectionTest(connector);
    expect(t).toMatchObject({ ok: false, kind: 'permanent', code: 'HUB_ERR_LDAP_BIND' });
    expect(t.message).not.toContain('wrong-password');
    await expect(connector.start()).rejects.toMatchObject({ code: 'HUB_ERR_LDAP_BIND', kind: 'permanent' });
    expect(h.directory.replaced).toHaveLength(0);
  });

  it('an unreachable port is transient', async () => {
    const port = await freePort();
    const { connector } = setup({ url: `ldap://127.0.0.1:${port}` });
    const t = await connectionTest(connector);
    expect(t).toMatchObject({ ok: false, kind: 'transient', code: 'HUB_ERR_LDAP_UNREACHABLE' });
  });

  it('good credentials pass testConnection', async () => {
    const { connector } = setup();
    expect(await connectionTest(connector)).toMatchObject({ ok: true });
  });
});

describe('ldap-directory over StartTLS', () => {
  let tlsSlapd: Slapd;
  beforeAll(async () => {
    tlsSlapd = await startSlapd({
      tls: true,
      ldif: readFileSync(join(fixtures, 'seed.ldif'), 'utf8').split('\n\n').filter((e) => !/hubTestAdUser/.test(e)).join('\n\n'),
      // Refuse simple binds without TLS (RFC 4513 section 5.1.3 recommends it): proves the bind went over TLS.
      databaseConfig: 'security simple_bind=128',
    });
  });
  afterAll(async () => {
    await tlsSlapd?.stop();
  });

  const base = () => ({ url: tlsSlapd.url, bindDn: HUB_DN, bindPassword: 'hub-secret', baseDn: 'ou=People,dc=corp,dc=example', teams: { from: 'none' as const } });

  it('binds after StartTLS with the server CA and syncs', async () => {
    const h = connectorHarness({ id: 'tls-ldap', config: ldapConfigSchema.parse({ ...base(), startTls: true, tls: { caFile: tlsSlapd.certFile } }) });
    const c = ldapDirectoryManifest.create(h.ctx) as LdapDirectoryConnector;
    const t = await connectionTest(c);
    expect(t).toMatchObject({ ok: true });
    expect((await c.fullSync()).people).toBe(3);
  });

  it('an unknown certificate is a permanent TLS error; a plain bind is refused', async () => {
    const h = connectorHarness({ id: 'tls-ldap', config: ldapConfigSchema.parse({ ...base(), startTls: true }) });
    const c = ldapDirectoryManifest.create(h.ctx) as LdapDirectoryConnector;
    expect(await connectionTest(c)).toMatchObject({ ok: false, kind: 'permanent', code: 'HUB_ERR_LDAP_TLS' });
    const plain = ldapDirectoryManifest.create(connectorHarness({ id: 'plain', config: ldapConfigSchema.parse(base()) }).ctx);
    expect(await connectionTest(plain)).toMatchObject({ ok: false, kind: 'permanent', code: 'HUB_ERR_LDAP_BIND' });
  });
});

describe('ldap-directory when the directory goes away', () => {
  it('a failed full sync keeps the people of the last complete one and reports the outage', async () => {
    const own = await startSlapd({ ldif: readFileSync(join(fixtures, 'seed.ldif'), 'utf8').split('\n\n').filter((e) => !/hubTestAdUser/.test(e)).join('\n\n') });
    try {
      const h = connectorHarness({ id: 'gone', config: ldapConfigSchema.parse({ url: own.url, bindDn: HUB_DN, bindPassword: 'hub-secret', baseDn: 'ou=People,dc=corp,dc=example', teams: { from: 'none' }, retryDelay: '1h' }) });
      const c = ldapDirectoryManifest.create(h.ctx) as LdapDirectoryConnector;
      const sup = h.supervisor({ ...ldapDirectoryManifest, create: () => c });
      await sup.start();
      for (let i = 0; i < 100 && h.directory.replaced.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(h.directory.replaced).toHaveLength(1);
      await own.stop();
      await expect(c.fullSync()).rejects.toMatchObject({ code: 'HUB_ERR_LDAP_UNREACHABLE', kind: 'transient' });
      await expect(c.incrementalSync()).rejects.toMatchObject({ kind: 'transient' });
      expect(h.directory.replaced).toHaveLength(1);
      expect(h.directory.upserted).toHaveLength(0);
      expect(h.directory.removed).toHaveLength(0);
      // The report still describes the last complete sync.
      expect(c.report().people).toBe(3);
      await sup.stop();
    } finally {
      await own.stop();
    }
  });
});

describe('ldap-directory incremental sync and the stable id (entryUUID)', () => {
  const ldif = (uid: string, extra = ''): string =>
    `dn: uid=${uid},ou=People,dc=corp,dc=example\nobjectClass: inetOrgPerson\nuid: ${uid}\ncn: ${uid}\nsn: ${uid}\nmail: ${uid}@corp.example\n${extra}`;
  let own: Slapd;
  beforeAll(async () => {
    own = await startSlapd({
      ldif: [
        'dn: ou=People,dc=corp,dc=example\nobjectClass: organizationalUnit\nou: People\n',
        'dn: ou=Former,dc=corp,dc=example\nobjectClass: organizationalUnit\nou: Former\n',
        'dn: ou=Services,dc=corp,dc=example\nobjectClass: organizationalUnit\nou: Services\n',
        `dn: ${HUB_DN}\nobjectClass: organizationalRole\nobjectClass: simpleSecurityObject\ncn: hub\nuserPassword: hub-secret\n`,
        ldif('judy', 'telephoneNumber: x2007\n'),
        ldif('mike'),
        ldif('nina'),
      ].join('\n'),
    });
  });
  afterAll(async () => {
    await own?.stop();
  });

  it('a rename retires the old id in the same step, a move keeps the person, an entry that is no person any more is retired', async () => {
    const h = connectorHarness({
      id: 'uuid-ldap',
      config: ldapConfigSchema.parse({ url: own.url, bindDn: HUB_DN, bindPassword: 'hub-secret', baseDn: 'dc=corp,dc=example', teams: { from: 'none' }, incrementalInterval: 0 }),
    });
    const steps: { upsert: string[]; retire: string[] }[] = [];
    const sink = h.ctx.directorySink;
    const upsert: typeof sink.upsert = async (people, o) => {
      steps.push({ upsert: people.map((x) => x.id), retire: [...(o?.retire ?? [])] });
      await sink.upsert(people, o);
    };
    const ctx = { ...h.ctx, directorySink: { ...sink, upsert } };
    const c = ldapDirectoryManifest.create(ctx) as LdapDirectoryConnector;
    await c.fullSync();
    const judy = h.directory.replaced[0]!.find((p) => p.id === 'judy')!;
    expect(judy.identities).toEqual(expect.arrayContaining(['mailto:judy@corp.example', 'tel:2007']));
    // slapd's modifyTimestamp has one-second resolution: let the changes land in a later second.
    await new Promise((r) => setTimeout(r, 1100));
    const root = new Client({ url: own.url });
    await root.bind(own.rootDn, own.rootPassword);
    try {
      await root.modifyDN('uid=judy,ou=People,dc=corp,dc=example', 'uid=judith');
      await root.modifyDN('uid=mike,ou=People,dc=corp,dc=example', 'uid=mike,ou=Former,dc=corp,dc=example');
      await root.modifyDN('uid=nina,ou=People,dc=corp,dc=example', 'uid=nina\\20b');
    } finally {
      await root.unbind();
    }
    const r = await c.incrementalSync();
    expect(r).toMatchObject({ renamed: 1 });
    // One call: judith in, judy and the no-longer-valid nina out; mike moved but is the same person.
    expect(steps).toEqual([{ upsert: ['judith', 'mike'], retire: expect.arrayContaining(['judy', 'nina']) }]);
    const judith = h.directory.upserted.find((p) => p.id === 'judith')!;
    expect(judith.identities).toEqual(judy.identities);
    expect(c.report().conflicts).toEqual([]);
    // The publisher now writes to the entries' new DNs.
    expect(c.entryOf('judith')).toBe('uid=judith,ou=People,dc=corp,dc=example');
    expect(c.entryOf('mike')).toBe('uid=mike,ou=Former,dc=corp,dc=example');
    expect(c.entryOf('judy')).toBeUndefined();
    // Nothing more to do on the next round.
    expect((await c.incrementalSync()).changed).toBe(0);
  });
});
