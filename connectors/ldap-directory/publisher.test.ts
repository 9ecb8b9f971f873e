/**
 * The presence write-back on the hub's reconciliation (core/publish), against a real OpenLDAP
 * (test/support/peers/slapd.ts) whose access rules decide whether the hub may write: a failed
 * write retried until the directory confirms it, a hub restart that puts the attribute right
 * (with the durable record and without it), a directory outage followed by recovery, an
 * operator's hand edit overwritten (warned about and counted), and unknown outcomes (busy,
 * unavailable, a timeout or a lost connection after the modify was sent) played by slapd's retcode
 * overlay (slapo-retcode, in-directory error objects) and a proxy that cuts the connection.
 */
import { Attribute, Change, Client, Control } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConnectorStore } from '../../core/connector/contract.ts';
import type { AvailabilityClass } from '../../core/model/availability.ts';
import { classActivity, type Presence } from '../../core/model/presence.ts';
import { memoryConnectorStore } from '../../core/pipeline/embedded/connector-store.ts';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import { asRootOf, type Slapd } from '../../test/support/peers/slapd.ts';
import { ldapConfigSchema } from './config.ts';
import type { LdapDirectoryConnector } from './connector.ts';
import { ldapDirectoryManifest } from './manifest.ts';
import { HUB_DN, startLdapDirectory } from './simulator.ts';
import { until } from '../../test/support/wait.ts';
import { capturingLogger } from '../../test/support/log-capture.ts';
import { TcpProxy } from '../../test/support/tcp-proxy.ts';

const WRITERS = 'cn=presence-writers,ou=Groups,dc=corp,dc=example';
const dnOf = (uid: string): string => `uid=${uid},ou=People,dc=corp,dc=example`;
let slapd: Slapd;

beforeAll(async () => {
  // Write access to the presence attribute through a group, so a test can take it away and grant it.
  slapd = await startLdapDirectory({
    databaseConfig: [
      'access to attrs=userPassword by anonymous auth by * none',
      `access to attrs=description by group.exact="${WRITERS}" write by users read`,
      'access to * by users read by * none',
      // Entries with the auxiliary class errAuxObject answer the operations in errOp as they say.
      'overlay retcode',
      'retcode-parent "ou=retcode,dc=corp,dc=example"',
      'retcode-indir',
    ].join('\n'),
    modules: ['retcode'],
  });
  await asRoot((c) => c.add(WRITERS, { objectClass: 'groupOfNames', cn: 'presence-writers', member: [slapd.rootDn, HUB_DN] }));
});
afterAll(async () => {
  await slapd?.stop();
});

const asRoot = <T>(fn: (c: Client) => Promise<T>): Promise<T> => asRootOf(slapd, fn);

/** ManageDsaIT (RFC 3296): the test's own edits bypass the retcode overlay. */
const MANAGE = new Control('2.16.840.1.113730.3.4.2');
const replaceOf = (type: string, values: string[]): Change => new Change({ operation: 'replace', modification: new Attribute({ type, values }) });
const setAttr = (uid: string, value: string | null): Promise<void> => asRoot((c) => c.modify(dnOf(uid), replaceOf('description', value === null ? [] : [value]), MANAGE));

/**
 * From now on the directory answers every modify of the entry with result `code` (0: it applies
 * it), after `sleepSeconds`; null: it answers normally again.
 */
async function answerModify(uid: string, how: { code: number; sleepSeconds?: number } | null): Promise<void> {
  const changes =
    how === null
      ? [new Change({ operation: 'delete', modification: new Attribute({ type: 'objectClass', values: ['errAuxObject'] }) }), ...['errCode', 'errOp', 'errSleepTime'].map((t) => replaceOf(t, []))]
      : [
          new Change({ operation: 'add', modification: new Attribute({ type: 'objectClass', values: ['errAuxObject'] }) }),
          replaceOf('errCode', [String(how.code)]),
          replaceOf('errOp', ['modify']),
          ...(how.sleepSeconds !== undefined ? [replaceOf('errSleepTime', [String(how.sleepSeconds)])] : []),
        ];
  await asRoot((c) => c.modify(dnOf(uid), changes, MANAGE));
}
const writeAccess = (grant: boolean): Promise<void> =>
  asRoot((c) => c.modify(WRITERS, new Change({ operation: grant ? 'add' : 'delete', modification: new Attribute({ type: 'member', values: [HUB_DN] }) })));

async function attr(uid: string): Promise<string | undefined> {
  return asRoot(async (c) => {
    const { searchEntries } = await c.search(dnOf(uid), { scope: 'base', attributes: ['description'] });
    const v = searchEntries[0]?.description;
    return (Array.isArray(v) ? v[0] : v) as string | undefined;
  });
}

let version = 0;
function presence(person: string, cls: AvailabilityClass, availability: number): Presence {
  return { person, availability, class: cls, activity: classActivity(cls), since: Date.now(), version: ++version };
}

function setup(state?: ConnectorStore, o: { url?: string; timeout?: string } = {}) {
  const { log, lines } = capturingLogger('info');
  const config = ldapConfigSchema.parse({
    url: o.url ?? slapd.url,
    ...(o.timeout !== undefined ? { timeout: o.timeout } : {}),
    bindDn: HUB_DN,
    bindPassword: 'hub-secret',
    baseDn: 'ou=People,dc=corp,dc=example',
    teams: { from: 'none' },
    incrementalInterval: 0,
    publish: { attribute: 'description', values: { dnd: 'Do not disturb' }, interval: '0s', batchSize: 50 },
  });
  const h = connectorHarness({ id: 'corp-ldap', config, log, ...(state !== undefined ? { state } : {}) });
  const instance = ldapDirectoryManifest.create(h.ctx) as LdapDirectoryConnector;
  const sup = h.supervisor(ldapDirectoryManifest, instance);
  const connector = (): LdapDirectoryConnector => instance;
  const start = async (): Promise<void> => {
    await sup.start();
    await until('the publisher attached after the first sync', async () => (await connector().published()) !== undefined);
  };
  return { h, sup, start, lines, stats: () => h.reconciler!.stats() };
}

describe('ldap-directory publisher on the reconciliation (real slapd)', () => {
  it('a write the directory refuses (no write access, result 50) is retried until it is confirmed; same class, no write', async () => {
    await setAttr('alice', null);
    await setAttr('bob', null);
    await writeAccess(false);
    const { h, sup, start, stats } = setup();
    try {
      await h.publish([presence('alice', 'busy', 6500), presence('bob', 'dnd', 9500), presence('nobody', 'away', 15500)]);
      await start();
      await until('a refused write', () => stats().failed > 0);
      expect(sup.health().lastError).toMatchObject({ code: 'HUB_ERR_LDAP_ACCESS' });
      expect(sup.health().state).toBe('degraded');
      expect(await attr('alice')).toBeUndefined();
      expect(stats().pending).toBeGreaterThanOrEqual(2);

      await writeAccess(true);
      await until('alice and bob written', async () => (await attr('alice')) === 'busy' && (await attr('bob')) === 'Do not disturb');
      await until('nothing pending', () => stats().pending === 0);
      expect(stats().retries).toBeGreaterThan(0);
      expect(sup.health().state).toBe('running');
      // People this directory does not hold are never written.
      expect(h.reconciler!.mayShow('nobody')).toEqual([]);

      // The same class with another number is no new desired state: an operator's change stays.
      const writes = stats().writes;
      await setAttr('alice', 'marker');
      await h.publish([presence('alice', 'busy', 7000)]);
      expect(stats().writes).toBe(writes);
      expect(await attr('alice')).toBe('marker');
      await h.publish([presence('alice', 'away', 15500)]);
      await until('the new class written', async () => (await attr('alice')) === 'away');
    } finally {
      await writeAccess(true).catch(() => undefined);
      await sup.stop();
    }
  });

  it('a restart puts the attribute right: from the durable record (Redis mode) and without one (embedded)', async () => {
    const shared = memoryConnectorStore();
    const first = setup(shared);
    await first.h.publish([presence('carol', 'busy', 6500)]);
    await first.start();
    await until('carol written', async () => (await attr('carol')) === 'busy');
    await first.sup.stop();

    // While no hub ran, carol's presence changed: the next run with the same record writes it.
    const second = setup(shared);
    await second.h.publish([presence('carol', 'dnd', 9500)]);
    await second.start();
    await until('carol rewritten from the record', async () => (await attr('carol')) === 'Do not disturb');
    await until('nothing pending', () => second.stats().pending === 0);
    await second.sup.stop();

    // Embedded restart: no record at all; a previous run's value is in the directory.
    await setAttr('carol', 'busy');
    const third = setup();
    await third.h.publish([presence('carol', 'available', 3500)]);
    await third.start();
    await until('carol reconciled without a record', async () => (await attr('carol')) === 'available');
    expect(third.stats().reconciles).toBeGreaterThanOrEqual(1);
    await third.sup.stop();
  });

  it('a directory outage: writes fail and stay pending, then go within seconds of the recovery; what was written before is written again', async () => {
    const { h, sup, start, stats } = setup();
    try {
      await h.publish([presence('dave', 'busy', 6500), presence('carol', 'away', 15500)]);
      await start();
      await until('dave and carol written', async () => (await attr('dave')) === 'busy' && (await attr('carol')) === 'away');
      // An operator's edit just before the outage: after it the hub restores its answer.
      await setAttr('carol', 'edited');
      await slapd.kill();
      await h.publish([presence('dave', 'dnd', 9500)]);
      await until('a failed write during the outage', () => stats().failed + stats().unknownOutcomes > 0);
      expect(sup.health().state).toBe('degraded');
      expect(sup.health().lastError?.code).toMatch(/^HUB_ERR_LDAP_(UNREACHABLE|UNAVAILABLE)$/);
      expect(stats().pending).toBe(1);

      await slapd.start();
      await until('dave written after the recovery', async () => (await attr('dave').catch(() => undefined)) === 'Do not disturb');
      await until('carol restored after the outage', async () => (await attr('carol')) === 'away');
      // Restored, and not silently: the operator's edit is counted and warned about.
      expect(sup.health().counts.overwrittenEdits).toBe(1);
      await until('nothing pending', () => stats().pending === 0);
      expect(sup.health().state).toBe('running');
      expect(stats().reconciles).toBeGreaterThanOrEqual(2);
    } finally {
      await sup.stop();
    }
  });

  it("an operator's hand edit is replaced by the hub's answer, warned about (entry and attribute, no value) and counted", async () => {
    const { h, sup, start, stats, lines } = setup();
    try {
      await h.publish([presence('alice', 'busy', 6500)]);
      await start();
      await until('alice written', async () => (await attr('alice')) === 'busy' && stats().pending === 0);
      const before = sup.health().counts.overwrittenEdits ?? 0;
      await setAttr('alice', 'edited by hand');
      await h.publish([presence('alice', 'away', 15500)]);
      await until('alice rewritten', async () => (await attr('alice')) === 'away' && stats().pending === 0);
      expect(sup.health().counts.overwrittenEdits).toBe(before + 1);
      const warned = lines.filter((l) => l.raw.includes('changed outside the hub'));
      expect(warned).toHaveLength(1);
      expect(warned[0]!.raw).toContain(dnOf('alice'));
      expect(warned[0]!.raw).not.toMatch(/edited by hand|away/);
      // What the hub wrote is still there: written without a warning.
      await h.publish([presence('alice', 'busy', 6500)]);
      await until('alice written again', async () => (await attr('alice')) === 'busy' && stats().pending === 0);
      expect(sup.health().counts.overwrittenEdits).toBe(before + 1);
    } finally {
      await sup.stop();
    }
  });
});

describe('ldap-directory publisher: unknown outcomes (docs/publishing.md: possibly applied, then reconciled)', () => {
  /** `uid` was confirmed `busy`; the next class is dnd, whose write meets the directory as `fault` plays it. */
  async function unknownWrite(uid: string, o: { url?: string; timeout?: string }, fault: () => Promise<void>) {
    await setAttr(uid, null);
    const run = setup(undefined, o);
    await run.h.publish([presence(uid, 'busy', 6500)]);
    await run.start();
    await until(`${uid} written`, async () => (await attr(uid)) === 'busy' && run.stats().pending === 0);
    await fault();
    await run.h.publish([presence(uid, 'dnd', 9500)]);
    await until('an unknown outcome', () => run.stats().unknownOutcomes > 0);
    // Possibly applied: the loop guard takes either state for the hub's own.
    expect([...run.h.reconciler!.mayShow(uid)].sort()).toEqual(['Do not disturb', 'busy']);
    expect(run.sup.health().state).toBe('degraded');
    expect(run.stats().pending).toBe(1);
    return run;
  }

  /** Reconciled: the write is sent again until the directory confirms it; then only it may show. */
  async function reconciled(uid: string, run: Awaited<ReturnType<typeof unknownWrite>>): Promise<void> {
    await until(`${uid} confirmed`, async () => (await attr(uid)) === 'Do not disturb' && run.stats().pending === 0);
    expect(run.h.reconciler!.mayShow(uid)).toEqual(['Do not disturb']);
    expect(run.sup.health().state).toBe('running');
  }

  it.each([
    [51, 'busy'],
    [52, 'unavailable'],
  ] as const)('result %i (%s): unknown, the entry unchanged; confirmed once the directory answers again', async (code, _name) => {
    const run = await unknownWrite('bob', {}, () => answerModify('bob', { code }));
    try {
      expect(run.sup.health().lastError).toMatchObject({ code: 'HUB_ERR_LDAP_UNAVAILABLE', message: expect.stringContaining(`result ${code}`) });
      expect(await attr('bob')).toBe('busy');
      await answerModify('bob', null);
      await reconciled('bob', run);
    } finally {
      await answerModify('bob', null).catch(() => undefined);
      await run.sup.stop();
    }
  });

  it('a timeout after the modify was sent: unknown, though the directory applies it later; sent again until confirmed', async () => {
    const run = await unknownWrite('carol', { timeout: '500ms' }, () => answerModify('carol', { code: 0, sleepSeconds: 1 }));
    try {
      expect(run.sup.health().lastError?.code).toBe('HUB_ERR_LDAP_UNREACHABLE');
      // It was applied after all (the server only took its time): possibly applied was right.
      await until('the late modify applied', async () => (await attr('carol')) === 'Do not disturb');
      await answerModify('carol', null);
      await reconciled('carol', run);
    } finally {
      await answerModify('carol', null).catch(() => undefined);
      await run.sup.stop();
    }
  });

  it('the connection lost after the modify was sent: unknown; sent again until confirmed', async () => {
    const proxy = await TcpProxy.start({ port: slapd.port });
    let cut: Promise<void> | undefined;
    // The server takes a second over the modify, so the cut comes before its answer.
    const run = await unknownWrite('dave', { url: `ldap://127.0.0.1:${proxy.port}` }, async () => {
      await answerModify('dave', { code: 0, sleepSeconds: 1 });
      cut = proxy.cutAfter('Do not disturb');
    });
    try {
      await cut;
      expect(run.sup.health().lastError?.code).toBe('HUB_ERR_LDAP_UNREACHABLE');
      await reconciled('dave', run);
    } finally {
      await answerModify('dave', null).catch(() => undefined);
      await run.sup.stop();
      await proxy.close();
    }
  });
});
