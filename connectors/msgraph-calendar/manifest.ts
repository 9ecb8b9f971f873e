import type { ConnectorManifest } from '../../core/connector/contract.ts';
import { MsGraphCalendarConnector } from './connector.ts';
import { calendarConfigSchema, type CalendarConfig } from './config.ts';

/** Exchange Online calendars through Microsoft Graph getSchedule and mailbox settings. */
export const msgraphCalendarManifest: ConnectorManifest<CalendarConfig> = {
  kind: 'msgraph-calendar',
  description: 'Microsoft 365 calendars via Microsoft Graph (getSchedule free/busy, working hours, out of office from mailbox settings, event change notifications)',
  capabilities: ['collect'],
  configSchema: calendarConfigSchema,
  secretFields: ['clientSecret', 'subscriptions.clientState'],
  identitySchemes: ['mailto'],
  create: (ctx) => new MsGraphCalendarConnector(ctx),
};
