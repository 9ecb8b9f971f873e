import type { ConnectorManifest } from '../../core/connector/contract.ts';
import { EntraDirectoryConnector } from './connector.ts';
import { entraConfigSchema, type EntraConfig } from './config.ts';

/**
 * Entra ID (issue 6): people, identities and teams from Microsoft Graph, full sync and
 * incremental rounds with user delta query, teams from group members or departments. Shares the
 * Graph client and auth of the Microsoft 365 connectors. See README.md for the permissions.
 */
export const entraDirectoryManifest: ConnectorManifest<EntraConfig> = {
  kind: 'entra-directory',
  description: 'People, identities and teams from Entra ID via Microsoft Graph (users delta query, group members)',
  capabilities: ['directory'],
  configSchema: entraConfigSchema,
  secretFields: ['clientSecret'],
  phoneOptions: (c) => c.phone,
  create: (ctx) => new EntraDirectoryConnector(ctx),
};
