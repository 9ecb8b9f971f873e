import type { ConnectorManifest } from '../../core/connector/contract.ts';
import { ewsCalendarConfigSchema, type EwsCalendarConfig } from './config.ts';
import { EwsCalendarConnector } from './connector.ts';

/** Exchange calendars (on-premises Exchange 2013-SE, Exchange Online until EWS is retired) through EWS. */
export const ewsCalendarManifest: ConnectorManifest<EwsCalendarConfig> = {
  kind: 'ews-calendar',
  description: 'Exchange calendars via Exchange Web Services (GetUserAvailability free/busy, GetUserOofSettings, streaming notifications)',
  capabilities: ['collect'],
  configSchema: ewsCalendarConfigSchema,
  secretFields: ['auth.clientSecret', 'auth.password'],
  identitySchemes: ['mailto'],
  create: (ctx) => new EwsCalendarConnector(ctx),
};
