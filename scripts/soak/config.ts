/**
 * The hub configuration of the soak: generated people (each with entra:, sip: and mailto:
 * identities), an admin key from the environment, and three connectors pointing at the upstreams:
 * msgraph-presence (polling and writing back), sip-presence (watching a few presentities on
 * Kamailio) and ldap-directory (syncing the private slapd).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { GRAPH_APP, guid, personId, type Upstreams } from './upstreams.ts';

export const SOAK_ENV = { SOAK_ADMIN_KEY: 'soak-admin-key-0123456789', SOAK_GRAPH_SECRET: GRAPH_APP.clientSecret, SOAK_LDAP_PASSWORD: 'root-secret' };

export function writeHubConfig(o: { dir: string; people: number; sipWatched: number; up: Upstreams; prefix: string }): { file: string; people: string[] } {
  const people = Array.from({ length: o.people }, (_, i) => ({
    id: personId(i),
    name: `Soak Person ${i}`,
    identities: [`entra:${guid(i)}`, `sip:${personId(i)}@corp.example`, `mailto:${personId(i)}@corp.example`],
    teams: [`team-${i % 50}`],
  }));
  const graph = o.up.graph;
  const config = {
    server: { port: 0, host: '127.0.0.1', rateLimit: 0 },
    redis: { prefix: o.prefix },
    people,
    auth: { keys: [{ name: 'soak-admin', secret: '${SOAK_ADMIN_KEY}', roles: ['admin'] }] },
    log: { level: 'info' },
    connectors: [
      {
        id: 'teams',
        kind: 'msgraph-presence',
        tenantId: graph.tenantId,
        clientId: GRAPH_APP.clientId,
        clientSecret: '${SOAK_GRAPH_SECRET}',
        graphBaseUrl: graph.url,
        tokenEndpoint: graph.tokenEndpoint(),
        requestTimeout: '3s',
        poll: { interval: '2s' },
        publish: { enabled: true },
      },
      {
        id: 'pbx',
        kind: 'sip-presence',
        server: o.up.kamailio!.uri,
        presentities: people.slice(0, o.sipWatched).map((p) => p.identities[1]!),
        expires: 10,
        t1: '100ms',
        retry: { base: '200ms', max: '2s' },
        publish: { enabled: false },
      },
      {
        id: 'ldap',
        kind: 'ldap-directory',
        url: o.up.slapd!.url,
        bindDn: o.up.slapd!.rootDn,
        bindPassword: '${SOAK_LDAP_PASSWORD}',
        baseDn: `ou=people,${o.up.slapd!.suffix}`,
        teams: { from: 'none' },
        timeout: '3s',
        incrementalInterval: '3s',
        retryDelay: '1s',
      },
    ],
  };
  const file = join(o.dir, 'hub.yaml');
  writeFileSync(file, stringify(config));
  return { file, people: people.map((p) => p.id) };
}
