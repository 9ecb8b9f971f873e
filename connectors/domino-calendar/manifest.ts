import type { ConnectorManifest } from '../../core/connector/contract.ts';
import { dominoCalendarConfigSchema, type DominoCalendarConfig } from './config.ts';
import { DominoCalendarConnector } from './connector.ts';

/** HCL Domino calendars (Notes, Verse) through the Domino REST API or Domino Access Services. */
export const dominoCalendarManifest: ConnectorManifest<DominoCalendarConfig> = {
  kind: 'domino-calendar',
  description: 'HCL Domino calendars via the Domino REST API (PIM calendar) or Domino Access Services (free/busy)',
  capabilities: ['collect'],
  configSchema: dominoCalendarConfigSchema,
  secretFields: ['password'],
  identitySchemes: ['mailto', 'domino'],
  create: (ctx) => new DominoCalendarConnector(ctx),
};
