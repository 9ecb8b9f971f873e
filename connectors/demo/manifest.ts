import { z } from 'zod';
import type { ConnectorManifest } from '../../core/connector/contract.ts';
import { durationSchema } from '../../core/model/duration.ts';
import { DemoCollector } from './collector.ts';

export const demoConfigSchema = z.strictObject({
  /** How often the demo acts. */
  interval: durationSchema.prefault(2),
  /** How many people act per tick. */
  perTick: z.number().int().min(1).max(1000).default(4),
  /** Seed of the pseudo-random choices, so that a demo run can be replayed. */
  seed: z.number().int().default(42),
  /** A meeting's length. */
  meetingLength: durationSchema.prefault(90),
});
export type DemoConfig = z.infer<typeof demoConfigSchema>;

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
  create: (ctx) => new DemoCollector(ctx),
};
