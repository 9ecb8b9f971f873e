import { z } from 'zod';
import { identitySchema } from './signal.ts';

export const personIdSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'a person id of letters, digits, dot, dash, underscore or @');

export const personSchema = z.strictObject({
  id: personIdSchema,
  name: z.string().min(1).max(256).optional(),
  identities: z.array(identitySchema).max(64).default([]),
  teams: z.array(z.string().min(1).max(128)).max(256).default([]),
  personal: z.array(personIdSchema).max(10000).default([]),
  blocked: z.array(personIdSchema).max(10000).default([]),
});
export type Person = z.infer<typeof personSchema>;
