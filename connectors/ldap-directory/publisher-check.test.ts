/**
 * How the write-back checks that the entry still holds what the hub wrote (client.ts `replace`),
 * against real slapds (test/support/peers/slapd.ts): an attribute the server cannot evaluate the
 * assertion control on (no EQUALITY matching rule, or no compare access for the bind account) is
 * learned once and then checked by a read, without a false "changed outside the hub" warning; a
 * server that does not list the assertion control (as Active Directory does not; here slapd with
 * its root DSE `supportedControl` withheld) is checked by a read compared as caseIgnoreMatch does.
 */
import { readFileSync } from 'node:fs';
import { Attribute, Change, type Client } from 'ldapts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AvailabilityClass } from '../../core/model/availability.ts';
import { classActivity, type Presence } from '../../core/model/presence.ts';
import { connectorHarness } from '../../test/support/connector-harness.ts';
import { capturingLogger } from '../../test/support/log-capture.ts';
import { asRootOf, type Slapd } from '../../test/support/peers/slapd.ts';
import { until } from '../../test/support/wait.ts';
import { ldapConfigSchema } from './config.ts';
import type { LdapDirectoryConnector } from './connector.ts';
import { ldapDirectoryManifest } from './manifest.ts';
import { HUB_DN, startLdapDirectory } from './simulator.ts';

const dnOf = (uid: string): string => `uid=${uid},ou=People,dc=corp,dc=example`;
/** An attribute without an EQUALITY matching rule (RFC 4512 section 4.1.2), on an auxiliary class. */
const NO_EQUALITY_SCHEMA = [
  readFileSync(new URL('./fixtures/ad-attributes.schema', import.meta.url), 'utf8'),
  "attributetype ( 1.3.6.1.4.1.32473.1.1.20 NAME 'hubPresenceNoEquality' SYNTAX 1.3.6.1.4.1.1466.115.121.1.15 SINGLE-VALUE )",
  "objectclass ( 1.3.6.1.4.1.32473.1.2.20 NAME 'hubPresenceHolder' AUXILIARY MAY ( hubPresenceNoEquality ) )",
  '',
].join('\n');

let slapd: Slapd;
let noControl: Slapd;
beforeAll(async () => {
  [slapd, noControl] = await Promise.all([
    startLdapDirectory({
      schema: NO_EQUALITY_SCHEMA,
      databaseConfig: [
        'access to attrs=userPassword by anonymous auth by * none',
        `access to attrs=hubPresenceNoEquality by dn.exact="${HUB_DN}" write by users read`,
        // Read and write, but neither search nor compare (slapd access privileges): an assertion on it cannot hold.
        `access to attrs=description by dn.exact="${HUB_DN}" =rwd by users read`,
        'access to * by users read by * none',
      ].join('\n'),
    }),
    // The root DSE without supportedControl: the client takes the server for one without the assertion control.
    startLdapDirectory({ frontendConfig: 'access to dn.base="" attrs=supportedControl by * none\naccess to dn.base="" by * read' }),
  ]);
  // Every person may hold the attribute (the publisher also clears it for the people it does not write).
  await asRootOf(slapd, async (c) => {
    for (const uid of ['alice', 'bob', 'carol', 'dave']) await c.modify(dnOf(uid), new Change({ operation: 'add', modification: new Attribute({ type: 'objectClass', values: ['hubPresenceHolder'] }) }));
  });
});
afterAll(async () => {
  await Promise.all([slapd?.stop(), noControl?.stop()]);
});

const replaceOf = (type: string, values: string[]): Change => new Change({ operation: 'replace', modification: new Attribute({ type, values }) });

let version = 0;
function presence(person: string, cls: AvailabilityClass, availability: number): Presence {
  return { person, availability, class: cls, activity: classActivity(cls), since: Date.now(), version: ++version };
}

function setup(server: Slapd, attribute: string) {
  const { log, lines } = capturingLogger('info');
  const config = ldapConfigSchema.parse({
    url: server.url,
    bindDn: HUB_DN,
    bindPassword: 'hub-secret',
    baseDn: 'ou=People,dc=corp,dc=example',
    teams: { from: 'none' },
    incrementalInterval: 0,
    publish: { attribute, interval: '0s', batchSize: 50 },
  });
  const h = connectorHarness({ id: 'corp-ldap', config, log });
  const instance = ldapDirectoryManifest.create(h.ctx) as LdapDirectoryConnector;
  const sup = h.supervisor(ldapDirectoryManifest, instance);
  const asRoot = <T>(fn: (c: Client) => Promise<T>): Promise<T> => asRootOf(server, fn);
  const attr = (uid: string): Promise<string | undefined> =>
    asRoot(async (c) => {
      const v = (await c.search(dnOf(uid), { scope: 'base', attributes: [attribute] })).searchEntries[0]?.[attribute];
      return (Array.isArray(v) ? v[0] : v) as string | undefined;
    });
  const set = (uid: string, value: string | null): Promise<void> => asRoot((c) => c.modify(dnOf(uid), replaceOf(attribute, value === null ? [] : [value])));
  const stats = () => h.reconciler!.stats();
  const start = async (): Promise<void> => {
    await sup.start();
    await until('the publisher attached after the first sync', async () => (await instance.published()) !== undefined);
  };
  /** Publishes the class and waits until the directory holds it and nothing is pending. */
  const written = async (cls: AvailabilityClass, availability: number): Promise<void> => {
    await h.publish([presence('alice', cls, availability)]);
    await until(`alice ${cls} written`, async () => (await attr('alice')) === cls && stats().pending === 0);
  };
  const warnings = (): number => lines.filter((l) => l.raw.includes('changed outside the hub')).length;
  return { h, sup, start, set, written, warnings, lines };
}

describe('ldap-directory write-back check where the assertion control cannot evaluate the attribute (real slapd)', () => {
  it.each([
    ['hubPresenceNoEquality', 'an attribute without an EQUALITY matching rule'],
    ['description', 'an attribute the bind account may read and write but not compare'],
  ])('%s (%s): learned once, then checked by a read; no false warning, a real edit still warned about', async (attribute) => {
    const run = setup(slapd, attribute);
    try {
      await run.set('alice', null);
      await run.start();
      await run.written('busy', 6500); // nothing known yet: written without a check
      // What the hub wrote is there: the assertion fails (result 122) though nobody else changed it.
      await run.written('away', 15500);
      await run.written('offline', 18500);
      await run.written('busy', 6500);
      expect(run.warnings()).toBe(0);
      expect(run.sup.health().counts.overwrittenEdits).toBeUndefined();
      // Counted and logged once, not per write.
      expect(run.sup.health().counts.assertionUnusable).toBe(1);
      expect(run.lines.filter((l) => l.raw.includes('cannot check')).length).toBe(1);

      // Someone else's value is still told apart, by the read.
      await run.set('alice', 'edited by hand');
      await run.written('away', 15500);
      expect(run.sup.health().counts.overwrittenEdits).toBe(1);
      expect(run.warnings()).toBe(1);
      expect(run.sup.health().counts.assertionUnusable).toBe(1);
    } finally {
      await run.sup.stop();
    }
  });
});

describe('ldap-directory write-back check on a server without the assertion control (read first, as for Active Directory)', () => {
  it('a value that differs only in case or insignificant spaces is the hub’s own; another value is warned about', async () => {
    const run = setup(noControl, 'description');
    try {
      await run.set('alice', null);
      await run.start();
      await run.written('busy', 6500);
      // A directory that keeps the value as the caseIgnoreMatch attribute compares it: not an operator edit.
      await run.set('alice', ' BUSY ');
      await run.written('away', 15500);
      await run.set('alice', 'Away');
      await run.written('busy', 6500);
      expect(run.warnings()).toBe(0);
      expect(run.sup.health().counts.overwrittenEdits).toBeUndefined();
      expect(run.sup.health().counts.assertionUnusable).toBeUndefined();

      await run.set('alice', 'in the lab');
      await run.written('away', 15500);
      expect(run.warnings()).toBe(1);
      expect(run.sup.health().counts.overwrittenEdits).toBe(1);
    } finally {
      await run.sup.stop();
    }
  });
});
