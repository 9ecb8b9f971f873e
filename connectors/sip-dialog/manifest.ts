import type { ConnectorManifest } from '../../core/connector/contract.ts';
import { SIP_SECRET_FIELDS } from '../sip-core/config.ts';
import { sipDialogConfigSchema, type SipDialogConfig } from './config.ts';
import { SipDialogConnector } from './connector.ts';

/** SIP dialog event package (BLF line state, RFC 4235). */
export const sipDialogManifest: ConnectorManifest<SipDialogConfig> = {
  kind: 'sip-dialog',
  description: 'SIP busy-lamp line state (SUBSCRIBE Event: dialog): on the phone, ringing, idle',
  capabilities: ['collect'],
  configSchema: sipDialogConfigSchema,
  secretFields: [...SIP_SECRET_FIELDS],
  create: (ctx) => new SipDialogConnector(ctx),
};
