import type { ConnectorManifest } from '../../core/connector/contract.ts';
import { presenceConfigSchema, type PresenceConfig } from './config.ts';
import { MsGraphPresenceConnector } from './connector.ts';

/**
 * Microsoft Teams presence through Microsoft Graph: reads it (batch polling, change
 * notifications) and writes the hub's merged presence back through the app's presence session.
 */
export const msgraphPresenceManifest: ConnectorManifest<PresenceConfig> = {
  kind: 'msgraph-presence',
  description: 'Microsoft Teams presence via Microsoft Graph (read by polling and change notifications; write with setPresence)',
  capabilities: ['collect', 'publish'],
  configSchema: presenceConfigSchema,
  secretFields: ['clientSecret', 'subscriptions.clientState', 'subscriptions.refreshTokens', 'subscriptions.encryptionPrivateKey'],
  identitySchemes: ['entra'],
  create: (ctx) => new MsGraphPresenceConnector(ctx),
};
