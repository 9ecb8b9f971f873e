/**
 * The Entra directory connector against the Graph simulator over loopback HTTP: delta paging,
 * incremental rounds, removals, groups to teams, stale tokens, malformed answers, throttling.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Person } from '../../core/model/person.ts';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import { GraphSimulator } from '../msgraph-shared/simulator.ts';
import type { SimDirUser } from '../msgraph-shared/sim-directory.ts';
import type { EntraDirectoryConnector } from './connector.ts';
import { entraConfigSchema, type EntraConfig, type EntraConfigInput } from './config.ts';
import { entraDirectoryManifest } from './manifest.ts';
import { connectionTest } from '../../core/connector/test-connection.ts';
import { until } from '../../test/support/wait.ts';

const APP = { clientId: '7a4b1c2d-0000-4000-8000-00000000e001', clientSecret: 'entra-sim-secret' };
const oid = (i: number): string => `00000000-0000-4000-a000-${String(i).padStart(12, '0')}`;
const gid = (i: number): string => `00000000-0000-4000-b000-${String(i).padStart(12, '0')}`;

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.reverse()) await c();
  cleanups = [];
});

function seedUsers(sim: GraphSimulator): void {
  const u = (i: number, name: string, over: Partial<SimDirUser> = {}): void =>
    sim.directory.addUser({ id: oid(i), userPrincipalName: `${name}@corp.example`, displayName: name[0]!.toUpperCase() + name.slice(1), mail: `${name}@corp.example`, ...over });
  u(1, 'alice', { businessPhones: ['+1 555 010 0101'], mobilePhone: '555 010 0191', proxyAddresses: ['SMTP:alice@corp.example', 'smtp:a.example@corp.example', 'SIP:alice@corp.example'], department: 'Sales' });
  u(2, 'bob', { department: 'Support' });
  u(3, 'carol');
  u(4, 'dave');
  u(5, 'erin', { accountEnabled: false });
  u(6, 'frank_partner.example#EXT#', { userType: 'Guest', mail: 'frank@partner.example' });
  u(7, 'bad id');
  // Same person id as alice (UPN prefix), other domain: reported as a duplicate.
  u(8, 'alice', { userPrincipalName: 'alice@subsidiary.example', mail: 'alice@subsidiary.example' });
}

async function setup(over: Partial<EntraConfigInput> = {}) {
  const sim = new GraphSimulator();
  sim.addApp(APP);
  await sim.start();
  cleanups.push(() => sim.stop());
  sim.directory.deltaPageSize = 2;
  seedUsers(sim);
  const config = entraConfigSchema.parse({ tenantId: sim.tenantId, clientId: APP.clientId, clientSecret: APP.clientSecret, graphBaseUrl: sim.url, tokenEndpoint: sim.tokenEndpoint(), phone: { defaultCountryCode: '1', nationalPrefix: '' }, ...over });
  const h = connectorHarness<EntraConfig>({ id: 'entra', config });
  const connector = entraDirectoryManifest.create(h.ctx) as EntraDirectoryConnector;
  cleanups.push(() => connector.stop());
  return { sim, h, connector };
}

const byId = (people: readonly Person[]): Map<string, Person> => new Map(people.map((p) => [p.id, p]));
const deltaRequests = (sim: GraphSimulator): number => sim.requests.filter((r) => r.path === '/users/delta').length;

describe('entra-directory against the Graph simulator', () => {
  it('full sync follows every nextLink page to the deltaLink and swaps the people once', async () => {
    const { sim, h, connector } = await setup();
    const r = await connector.fullSync();
    // 8 users, 2 per page.
    expect(r).toMatchObject({ kind: 'full', entries: 8, pages: 4, people: 4 });
    expect(deltaRequests(sim)).toBe(4);
    expect(h.directory.replaced).toHaveLength(1);
    const people = byId(h.directory.replaced[0]!);
    expect([...people.keys()].sort()).toEqual(['alice', 'bob', 'carol', 'dave']);
    expect(people.get('alice')).toMatchObject({ name: 'Alice', teams: [] });
    expect([...people.get('alice')!.identities].sort()).toEqual(
      [`entra:${oid(1)}`, 'upn:alice@corp.example', 'mailto:alice@corp.example', 'mailto:a.example@corp.example', 'sip:alice@corp.example', 'tel:+15550100101', 'tel:+15550100191'].sort(),
    );
    expect(h.directory.progress.length).toBeGreaterThanOrEqual(5);
    expect(h.directory.progress.at(-1)).toEqual([8, 8]);
    const report = connector.report();
    expect(report.people).toBe(4);
    expect(report.skipped).toEqual(
      expect.arrayContaining([
        { entry: `bad id@corp.example (${oid(7)})`, reason: expect.stringMatching(/^invalid person id "bad id"/) },
        { entry: `alice@subsidiary.example (${oid(8)})`, reason: `duplicate person id alice, already used by alice@corp.example (${oid(1)})` },
      ]),
    );
    // The disabled account and the guest are not people, and not errors either.
    expect(JSON.stringify(report)).not.toMatch(/erin|frank/);
  });

  it('incremental rounds: a changed user upserted, removed and disabled users retired, a renamed user moves', async () => {
    const { sim, h, connector } = await setup();
    await connector.fullSync();
    const before = deltaRequests(sim);
    const idle = await connector.incrementalSync();
    expect(idle).toMatchObject({ kind: 'incremental', entries: 0, changed: 0, removed: 0 });
    expect(deltaRequests(sim)).toBe(before + 1);

    sim.directory.updateUser(oid(2), { businessPhones: ['+1 555 010 0102'] });
    sim.directory.deleteUser(oid(3)); // soft delete: @removed reason changed
    sim.directory.deleteUser(oid(4), true); // permanent: reason deleted
    sim.directory.updateUser(oid(1), { accountEnabled: false });
    sim.directory.addUser({ id: oid(9), userPrincipalName: 'grace@corp.example', displayName: 'Grace' });
    sim.directory.updateUser(oid(8), { userPrincipalName: 'alice2@subsidiary.example' }); // no longer a duplicate
    const r = await connector.incrementalSync();
    expect(r).toMatchObject({ entries: 6, changed: 3, removed: 3 });
    expect([...h.directory.removed].sort()).toEqual(['alice', 'carol', 'dave']);
    const up = byId(h.directory.upserted);
    expect([...up.keys()].sort()).toEqual(['alice2', 'bob', 'grace']);
    expect(up.get('bob')!.identities).toContain('tel:+15550100102');
    expect(h.directory.replaced).toHaveLength(1);

    // A rename: the old person id is retired, the new one upserted.
    sim.directory.updateUser(oid(9), { userPrincipalName: 'grace.hopper@corp.example' });
    await connector.incrementalSync();
    expect(h.directory.removed.at(-1)).toBe('grace');
    expect(h.directory.upserted.at(-1)).toMatchObject({ id: 'grace.hopper', identities: expect.arrayContaining([`entra:${oid(9)}`]) });
  });

  it('an update that carries only the changed properties (delta-query-overview) keeps what it leaves out', async () => {
    const { sim, h, connector } = await setup({ teamsFrom: 'department' });
    await connector.fullSync();
    sim.directory.updatesOnlyChanged = true;
    // bob's new phone comes as {id, businessPhones}: his UPN, name, mail and department stay.
    sim.directory.updateUser(oid(2), { businessPhones: ['+1 555 010 0102'] });
    // erin (disabled, not a person) enabled again: {id, accountEnabled} alone.
    sim.directory.updateUser(oid(5), { accountEnabled: true });
    // alice's mail cleared: {id, mail: null} drops her mailto: identity, nothing else.
    sim.directory.updateUser(oid(1), { mail: null, proxyAddresses: [] });
    const r = await connector.incrementalSync();
    expect(r).toMatchObject({ kind: 'incremental', entries: 3, changed: 3, removed: 0 });
    expect(h.directory.removed).toEqual([]);
    const up = byId(h.directory.upserted);
    expect(up.get('bob')).toMatchObject({ name: 'Bob', teams: ['support'], identities: expect.arrayContaining(['mailto:bob@corp.example', 'tel:+15550100102', `entra:${oid(2)}`]) });
    expect(up.get('erin')).toMatchObject({ name: 'Erin', identities: expect.arrayContaining(['mailto:erin@corp.example']) });
    expect(up.get('alice')!.identities).not.toContain('mailto:alice@corp.example');
    expect(up.get('alice')).toMatchObject({ name: 'Alice', teams: ['sales'], identities: expect.arrayContaining(['tel:+15550100101', `upn:alice@corp.example`]) });
  });

  it('teams from group members (paged, transitive) and membership changes in incremental rounds', async () => {
    const { sim, h, connector } = await setup({ groups: [gid(1), gid(2)], transitiveMembers: true });
    sim.directory.membersPageSize = 1;
    sim.directory.addGroup({ id: gid(1), displayName: 'Sales EMEA', members: [oid(1), oid(3), gid(3)] });
    sim.directory.addGroup({ id: gid(2), displayName: 'Support', members: [oid(2), oid(1)] });
    sim.directory.addGroup({ id: gid(3), displayName: 'Nested', members: [oid(4)] });
    await connector.fullSync();
    const people = byId(h.directory.replaced[0]!);
    expect(people.get('alice')!.teams).toEqual(['sales emea', 'support']);
    expect(people.get('bob')!.teams).toEqual(['support']);
    expect(people.get('carol')!.teams).toEqual(['sales emea']);
    expect(people.get('dave')!.teams).toEqual(['sales emea']);
    // Several member pages were read (page size 1).
    expect(sim.requests.filter((r) => r.path.startsWith(`/groups/${gid(1)}/transitiveMembers`)).length).toBeGreaterThan(2);

    sim.directory.groups.get(gid(2))!.members.push(oid(3));
    const r = await connector.incrementalSync();
    expect(r.changed).toBe(1);
    expect(h.directory.upserted).toEqual([expect.objectContaining({ id: 'carol', teams: ['sales emea', 'support'] })]);
  });

  it('an @odata.type in another letter case is the same type (Graph writes both #microsoft.graph.user and #Microsoft.Graph.User)', async () => {
    const { sim, h, connector } = await setup({ groups: [gid(1)] });
    sim.directory.addGroup({ id: gid(1), displayName: 'Sales', members: [oid(1)] });
    sim.malformNext(`/groups/${gid(1)}/members`, JSON.stringify({ value: [{ '@odata.type': '#Microsoft.Graph.User', id: oid(1) }, { '@odata.type': '#MICROSOFT.GRAPH.USER', id: oid(2) }, { '@odata.type': '#Microsoft.Graph.Device', id: oid(3) }] }));
    await connector.fullSync();
    const people = byId(h.directory.replaced[0]!);
    expect(people.get('alice')!.teams).toEqual(['sales']);
    expect(people.get('bob')!.teams).toEqual(['sales']);
    expect(people.get('carol')!.teams).toEqual([]);
  });

  it('a member page whose next link leads back to a page already read fails the sync as malformed at once, not after 100 000 pages', async () => {
    const { sim, h, connector } = await setup({ groups: [gid(1)] });
    sim.directory.addGroup({ id: gid(1), displayName: 'Sales', members: [oid(1)] });
    const self = `${sim.url}/v1.0/groups/${gid(1)}/members/microsoft.graph.user?$select=id&$top=999`;
    for (let i = 0; i < 3; i++) sim.malformNext(`/groups/${gid(1)}/members`, JSON.stringify({ value: [{ id: oid(1) }], '@odata.nextLink': self }));
    await expect(connector.fullSync()).rejects.toMatchObject({ code: 'HUB_ERR_GRAPH_MALFORMED', message: expect.stringContaining('already read') });
    expect(sim.requests.filter((r) => r.path.startsWith(`/groups/${gid(1)}/members`))).toHaveLength(1);
    expect(h.directory.replaced).toHaveLength(0);
  });

  it('teams from the department', async () => {
    const { h, connector } = await setup({ teamsFrom: 'department' });
    await connector.fullSync();
    const people = byId(h.directory.replaced[0]!);
    expect(people.get('alice')!.teams).toEqual(['sales']);
    expect(people.get('carol')!.teams).toEqual([]);
  });

  it('a stale delta token (410 Gone) turns the incremental round into a full resync', async () => {
    const { sim, h, connector } = await setup();
    await connector.fullSync();
    sim.directory.deleteUser(oid(2));
    sim.directory.resetDeltaTokens();
    const r = await connector.incrementalSync();
    expect(r).toMatchObject({ kind: 'full', resynced: true, people: 3 });
    expect(h.directory.replaced).toHaveLength(2);
    expect(h.directory.replaced[1]!.map((p) => p.id).sort()).toEqual(['alice', 'carol', 'dave']);
    expect(sim.requests.some((q) => q.path === '/users/delta' && q.status === 410)).toBe(true);
    // The next round uses the new deltaLink.
    expect(await connector.incrementalSync()).toMatchObject({ kind: 'incremental', entries: 0 });
  });

  it('refuses a malformed page with a clear health error, keeps the previous people, and recovers', async () => {
    const { sim, h } = await setup({ incrementalInterval: 0, retryDelay: '100ms' });
    const sup = h.supervisor(entraDirectoryManifest);
    cleanups.push(() => sup.stop());
    sim.malformNext('/users/delta', JSON.stringify({ value: [{ id: 5, displayName: 'x' }], '@odata.deltaLink': `${sim.url}/v1.0/users/delta?$deltatoken=x` }));
    await sup.start();
    await until(() => sup.health().lastError !== undefined);
    expect(sup.health().lastError).toMatchObject({ code: 'HUB_ERR_GRAPH_MALFORMED', message: expect.stringContaining('users delta: value.0.id') });
    expect(h.directory.replaced).toHaveLength(0);
    // The retry reads a good round.
    await until(() => h.directory.replaced.length === 1);
    expect(sup.health().state).toBe('running');
  });

  it('a delta page whose next link is the page itself fails the round as malformed at once', async () => {
    const { sim, connector } = await setup();
    for (let i = 0; i < 3; i++) sim.malformNext('/users/delta', JSON.stringify({ value: [], '@odata.nextLink': `${sim.url}/v1.0/users/delta?$skiptoken=same` }));
    await expect(connector.fullSync()).rejects.toMatchObject({ code: 'HUB_ERR_GRAPH_MALFORMED', message: expect.stringContaining('page just read') });
    expect(deltaRequests(sim)).toBe(2);
  });

  it('never follows a link to another host with the token', async () => {
    const { sim, connector } = await setup();
    sim.malformNext('/users/delta', JSON.stringify({ value: [], '@odata.nextLink': 'https://attacker.example/v1.0/users/delta?$skiptoken=x' }));
    await expect(connector.fullSync()).rejects.toMatchObject({ code: 'HUB_ERR_GRAPH_MALFORMED', message: expect.stringContaining('outside') });
  });

  it('honours 429 Retry-After through the shared middleware', async () => {
    const { sim, h, connector } = await setup();
    const sup = h.supervisor(entraDirectoryManifest);
    sim.throttle(2, 0);
    const r = await connector.fullSync();
    expect(r.people).toBe(4);
    expect(sim.requests.filter((q) => q.status === 429)).toHaveLength(2);
    expect(sup.health().counts.throttled).toBe(2);
  });

  it('testConnection: ok, bad secret permanent, unreachable transient, missing group permanent', async () => {
    const { h, connector } = await setup();
    expect(await connectionTest(connector)).toMatchObject({ ok: true });
    const other = (config: Partial<EntraConfig>) => entraDirectoryManifest.create({ ...h.ctx, config: { ...h.ctx.config, ...config } });
    expect(await connectionTest(other({ clientSecret: 'wrong' }))).toMatchObject({ ok: false, kind: 'permanent', code: 'HUB_ERR_GRAPH_AUTH' });
    expect(await connectionTest(other({ graphBaseUrl: 'http://127.0.0.1:9', tokenEndpoint: 'http://127.0.0.1:9/t/oauth2/v2.0/token' }))).toMatchObject({ ok: false, kind: 'transient' });
    expect(await connectionTest(other({ teamsFrom: 'groups', groups: [gid(42)] }))).toMatchObject({ ok: false, kind: 'permanent', code: 'HUB_ERR_GRAPH_NOT_FOUND' });
  });

  it('runs on its own under the supervisor: first a full sync, then incremental rounds', async () => {
    const { sim, h } = await setup({ incrementalInterval: '100ms' });
    const sup = h.supervisor(entraDirectoryManifest);
    cleanups.push(() => sup.stop());
    await sup.start();
    await until(() => h.directory.replaced.length === 1);
    sim.directory.deleteUser(oid(3));
    await until(() => h.directory.removed.includes('carol'));
    expect(sup.health().counts.incrementalSyncs).toBeGreaterThanOrEqual(1);
  });

  it('testConnection of a stopped connector still reads Graph (the stop refuses only the work of the run it ended)', async () => {
    const { connector } = await setup({ incrementalInterval: 0 });
    await connector.start();
    await connector.stop();
    // As the admin's POST /v1/connectors/:id/test does on a node whose connector stopped (lease moved, or a start that failed).
    expect(await connectionTest(connector)).toMatchObject({ ok: true });
  });

  it('lifecycle: stop twice is harmless, bad credentials fail the start as permanent', async () => {
    const { h, connector } = await setup({ incrementalInterval: 0 });
    await connector.start();
    await connector.stop();
    await connector.stop();
    const bad = entraDirectoryManifest.create({ ...h.ctx, config: { ...h.ctx.config, clientSecret: 'wrong' } });
    await expect(bad.start()).rejects.toMatchObject({ code: 'HUB_ERR_GRAPH_AUTH', kind: 'permanent' });
    await bad.stop();
  });

  it('a stop during a full sync ends it at its next page: that page is never requested, the previous people stay, and no failure is reported', async () => {
    const { sim, h } = await setup({ incrementalInterval: 0 });
    const sup = h.supervisor(entraDirectoryManifest);
    cleanups.push(() => sup.stop());
    let stopping: Promise<void> | undefined;
    const sink = h.ctx.directorySink!;
    const progress = sink.progress.bind(sink);
    // The stop comes while the first of the round's four pages is being taken in.
    sink.progress = (n, total) => {
      progress(n, total);
      if (n > 0) stopping ??= sup.stop();
    };
    await sup.start();
    await until('the stop began', () => stopping !== undefined);
    await stopping;
    expect(deltaRequests(sim)).toBe(1);
    expect(h.directory.replaced).toHaveLength(0);
    expect(sup.health()).toMatchObject({ state: 'stopped' });
    expect(sup.health().lastError).toBeUndefined();
  });

  it('resyncs fully every fullSyncInterval, starting a new delta round', async () => {
    const { sim, h } = await setup({ incrementalInterval: 0, fullSyncInterval: '150ms' });
    const sup = h.supervisor(entraDirectoryManifest);
    cleanups.push(() => sup.stop());
    await sup.start();
    await until(() => h.directory.replaced.length >= 2);
    // Two complete rounds of 4 pages each.
    expect(deltaRequests(sim)).toBeGreaterThanOrEqual(8);
    expect(h.directory.replaced[1]!.map((p) => p.id).sort()).toEqual(['alice', 'bob', 'carol', 'dave']);
  });
});

describe('entra-directory configuration', () => {
  const base = { tenantId: 't', clientId: 'c', clientSecret: 's' };
  it.each([
    [{ filter: "startswith(displayName,'a')" }, /filter: only id eq/],
    [{ teamsFrom: 'groups' }, /groups: teamsFrom: groups needs at least one group/],
    [{ groups: ['not-a-guid'] }, /groups\.0: an object id/],
    [{ fullSyncInterval: '8d' }, /fullSyncInterval: .*seven days/],
    [{ idFrom: 'sAMAccountName' }, /idFrom/],
  ])('refuses %j', (over, want) => {
    const r = entraConfigSchema.safeParse({ ...base, ...over });
    expect(r.success).toBe(false);
    expect(r.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('\n')).toMatch(want);
  });
  it('accepts an id filter and defaults teams from groups when groups are given', () => {
    const c = entraConfigSchema.parse({ ...base, filter: `id eq '${oid(1)}' or id eq '${oid(2)}'`, groups: [gid(1)] });
    expect(c).toMatchObject({ teamsFrom: 'groups', idFrom: 'upn', userTypes: ['Member'], fullSyncInterval: 86_400_000, incrementalInterval: 300_000 });
  });
});
