/**
 * directory.sync_100k_ms: a full LDAP sync of 100 000 people (paged search, mapping, group-to-team,
 * one replaceAll) against a private slapd on loopback, seeded offline with slapadd.
 * Run alone: `npx tsx bench/directory.ts`.
 */
import type { ConnectorContext } from '../core/connector/contract.ts';
import { Directory } from '../core/directory/directory.ts';
import type { Person } from '../core/model/person.ts';
import { systemClock } from '../core/util/clock.ts';
import { silentLogger } from '../core/util/logger.ts';
import type { LdapDirectoryConnector } from '../connectors/ldap-directory/connector.ts';
import { ldapConfigSchema, type LdapConfig } from '../connectors/ldap-directory/config.ts';
import { ldapDirectoryManifest } from '../connectors/ldap-directory/manifest.ts';
import { startSlapd } from '../test/support/peers/slapd.ts';
import { memoryConnectorStore } from '../core/pipeline/embedded/connector-store.ts';

const N = 100_000;
const TEAMS = 50;

function seed(): string {
  const out: string[] = ['dn: ou=People,dc=corp,dc=example\nobjectClass: organizationalUnit\nou: People\n', 'dn: ou=Groups,dc=corp,dc=example\nobjectClass: organizationalUnit\nou: Groups\n'];
  for (let i = 0; i < N; i++) {
    const u = `user${i}`;
    out.push(
      `dn: uid=${u},ou=People,dc=corp,dc=example\nobjectClass: inetOrgPerson\nuid: ${u}\ncn: User ${i}\nsn: ${i}\nmail: ${u}@corp.example\ntelephoneNumber: +1 555 ${String(i).padStart(7, '0')}\nlabeledURI: sip:${u}@corp.example\n`,
    );
  }
  for (let t = 0; t < TEAMS; t++) {
    const members: string[] = [];
    for (let i = t; i < N; i += TEAMS) members.push(`member: uid=user${i},ou=People,dc=corp,dc=example`);
    out.push(`dn: cn=team${t},ou=Groups,dc=corp,dc=example\nobjectClass: groupOfNames\ncn: team${t}\n${members.join('\n')}\n`);
  }
  return out.join('\n');
}

export async function run(): Promise<{ name: string; value: number; unit: string }[]> {
  const slapd = await startSlapd({ ldif: seed(), quick: true, databaseConfig: 'index uid eq\nindex member eq' });
  try {
    const config: LdapConfig = ldapConfigSchema.parse({
      url: slapd.url,
      bindDn: slapd.rootDn,
      bindPassword: slapd.rootPassword,
      baseDn: 'ou=People,dc=corp,dc=example',
      pageSize: 1000,
      teams: { from: 'groups', groupBaseDn: 'ou=Groups,dc=corp,dc=example' },
    });
    let replaced: readonly Person[] = [];
    const ctx: ConnectorContext<LdapConfig> = {
      id: 'bench-ldap',
      config,
      log: silentLogger(),
      clock: systemClock,
      directory: new Directory([], 0),
      emit: async () => ({ accepted: 0, refused: [] }),
      directorySink: {
        replaceAll: async (p) => {
          replaced = p;
        },
        upsert: async () => undefined,
        remove: async () => undefined,
        progress: () => undefined,
      },
      report: { ok: () => undefined, error: () => undefined, count: () => undefined, retryAt: () => undefined },
      state: memoryConnectorStore(),
    };
    const connector = ldapDirectoryManifest.create(ctx) as LdapDirectoryConnector;
    const t0 = performance.now();
    await connector.fullSync();
    const ms = Math.round(performance.now() - t0);
    if (replaced.length !== N) throw new Error(`expected ${N} people, got ${replaced.length}`);
    if (replaced.some((p) => p.teams.length !== 1)) throw new Error('every person should be in one team');
    return [{ name: 'directory.sync_100k_ms', value: ms, unit: 'ms' }];
  } finally {
    await slapd.stop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  run().then((r) => console.log(JSON.stringify(r)), (e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}
