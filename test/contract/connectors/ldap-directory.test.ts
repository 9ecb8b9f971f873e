import { ldapDirectoryManifest } from '../../../connectors/ldap-directory/manifest.ts';
import { startSlapd, type Slapd } from '../../support/peers/slapd.ts';
import { connectorContract } from '../connector-contract.ts';

// A real OpenLDAP; the outage is slapd killed (SIGTERM), the recovery slapd started again on the same port.
const HUB_DN = 'cn=hub,ou=Services,dc=corp,dc=example';
const LDIF = `dn: ou=People,dc=corp,dc=example
objectClass: organizationalUnit
ou: People

dn: ou=Services,dc=corp,dc=example
objectClass: organizationalUnit
ou: Services

dn: ${HUB_DN}
objectClass: organizationalRole
objectClass: simpleSecurityObject
cn: hub
userPassword: hub-secret

dn: uid=alice,ou=People,dc=corp,dc=example
objectClass: inetOrgPerson
uid: alice
cn: Alice Example
sn: Example
mail: alice@corp.example

dn: uid=bob,ou=People,dc=corp,dc=example
objectClass: inetOrgPerson
uid: bob
cn: Bob Example
sn: Example
mail: bob@corp.example
`;

let slapd: Slapd;
const base = (password: string): Record<string, unknown> => ({
  url: slapd.url,
  bindDn: HUB_DN,
  bindPassword: password,
  baseDn: 'ou=People,dc=corp,dc=example',
  teams: { from: 'none' },
  timeout: '2s',
  // Incremental syncs every 250 ms find an outage quickly; a failed sync is retried after 100 ms (doubling).
  incrementalInterval: '250ms',
  retryDelay: '100ms',
});

connectorContract('ldap-directory', {
  manifest: ldapDirectoryManifest,
  setup: async () => {
    slapd = await startSlapd({ ldif: LDIF, databaseConfig: ['access to attrs=userPassword by anonymous auth by * none', 'access to * by users read by * none'].join('\n') });
  },
  teardown: async () => slapd?.stop(),
  goodConfig: () => base('hub-secret'),
  badCredentialsConfig: () => base('not-the-password'),
  invalidConfigs: [
    { config: { url: 'http://ldap.corp.example', baseDn: 'dc=corp,dc=example' }, field: 'url' },
    { config: { url: 'ldap://ldap.corp.example:389', baseDn: 'dc=corp,dc=example', bindDn: HUB_DN }, field: 'bindPassword' },
    { config: { url: 'ldap://ldap.corp.example:389', baseDn: 'dc=corp,dc=example', pageSize: 0 }, field: 'pageSize' },
    { config: { url: 'ldaps://ldap.corp.example:636', baseDn: 'dc=corp,dc=example', startTls: true }, field: 'startTls' },
  ],
  upstream: { drop: () => slapd.kill(), restore: () => slapd.start() },
  skip: { throttle: 'slapd has no throttling answer to play (LDAP busy/unavailable results are treated as transient)' },
});
