import type { ConnectorManifest } from '../../core/connector/contract.ts';
import { SIP_SECRET_FIELDS } from '../sip-core/config.ts';
import { sipPresenceConfigSchema, type SipPresenceConfig } from './config.ts';
import { SipPresenceConnector } from './connector.ts';

/** SIP SIMPLE presence: watcher (SUBSCRIBE/NOTIFY, PIDF+RPID) and publisher (PUBLISH). */
export const sipPresenceManifest: ConnectorManifest<SipPresenceConfig> = {
  kind: 'sip-presence',
  description: 'SIP SIMPLE presence server (Kamailio, ...): watches presentities and publishes the merged presence as PIDF+RPID',
  capabilities: ['collect', 'publish'],
  configSchema: sipPresenceConfigSchema,
  secretFields: [...SIP_SECRET_FIELDS],
  identitySchemes: ['sip'],
  create: (ctx) => new SipPresenceConnector(ctx),
};
