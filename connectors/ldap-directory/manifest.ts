import type { ConnectorManifest } from '../../core/connector/contract.ts';
import { LdapDirectoryConnector } from './connector.ts';
import { ldapConfigSchema, type LdapConfig } from './config.ts';

/**
 * LDAP / Active Directory (issue 6): people, identities and teams from a directory by paged
 * search, full and incremental syncs; optionally the availability class written back into an
 * attribute. See README.md for the permissions the bind account needs.
 */
export const ldapDirectoryManifest: ConnectorManifest<LdapConfig> = {
  kind: 'ldap-directory',
  description: 'People, identities and teams from LDAP or Active Directory; presence class written back into an attribute',
  capabilities: ['directory', 'publish'],
  configSchema: ldapConfigSchema,
  secretFields: ['bindPassword'],
  phoneOptions: (c) => c.phone,
  create: (ctx) => new LdapDirectoryConnector(ctx),
};
