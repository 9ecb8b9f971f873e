import { z } from 'zod';
import { durationSchema } from '../../core/model/duration.ts';

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
