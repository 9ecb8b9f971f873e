/**
 * The loopback directory this connector is tested and demonstrated with. LDAP has a real server
 * that runs here, so this is no simulator but a throwaway OpenLDAP slapd on a free loopback port
 * (test/support/peers/slapd.ts), seeded with this folder's fixtures: the people and groups of
 * fixtures/seed.ldif and the Active Directory attributes of fixtures/ad-attributes.schema.
 */
import { readFileSync } from 'node:fs';
import { startSlapd, type Slapd, type SlapdOptions } from '../../test/support/peers/slapd.ts';

/** The hub's bind account in the seed directory. */
export const HUB_DN = 'cn=hub,ou=Services,dc=corp,dc=example';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

/**
 * A slapd seeded with the fixtures, whose access rules are those README.md "Permissions" asks for:
 * the bind account reads the people and writes only the presence attribute (`description`).
 */
export function startLdapDirectory(over: Partial<SlapdOptions> = {}): Promise<Slapd> {
  return startSlapd({
    schema: fixture('ad-attributes.schema'),
    ldif: fixture('seed.ldif'),
    databaseConfig: [
      'access to attrs=userPassword by anonymous auth by * none',
      `access to attrs=description by dn.exact="${HUB_DN}" write by users read`,
      'access to * by users read by * none',
    ].join('\n'),
    ...over,
  });
}
