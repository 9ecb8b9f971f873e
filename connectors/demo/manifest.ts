import type { ConnectorManifest } from '../../core/connector/contract.ts';
import { demoConfigSchema, type DemoConfig } from './config.ts';
import { DemoConnector } from './connector.ts';

/**
 * The built-in demo connector: realistic signals for the directory's people (laptops going idle,
 * phone calls, meetings with start and end, user-set states). It proves the connector contract
 * until real systems are configured, and drives `npm start`.
 */
export const demoManifest: ConnectorManifest<DemoConfig> = {
  kind: 'demo',
  description: 'Simulated people: laptops, phone calls, meetings and user-set states',
  capabilities: ['collect'],
  configSchema: demoConfigSchema,
  secretFields: [],
  create: (ctx) => new DemoConnector(ctx),
};
