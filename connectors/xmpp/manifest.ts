import type { ConnectorManifest } from '../../core/connector/contract.ts';
import { XMPP_SECRET_FIELDS, xmppConfigSchema, type XmppConfig } from './config.ts';
import { XmppConnector } from './connector.ts';

/** XMPP presence in and out (Prosody, ejabberd, Openfire): README.md. */
export const xmppManifest: ConnectorManifest<XmppConfig> = {
  kind: 'xmpp',
  description: 'XMPP server (Prosody, ejabberd, Openfire): reads users\' show/status, publishes the merged presence from a component domain',
  capabilities: ['collect', 'publish'],
  configSchema: xmppConfigSchema,
  secretFields: [...XMPP_SECRET_FIELDS],
  identitySchemes: ['xmpp'],
  create: (ctx) => new XmppConnector(ctx),
};
