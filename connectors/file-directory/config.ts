import { z } from 'zod';
import { durationSchema } from '../../core/model/duration.ts';

export const fileDirectoryConfigSchema = z.strictObject({
  /** A YAML list of people (the `people:` shape) or a CSV file with a header row (`.csv`). Relative paths resolve against the hub's working directory. */
  path: z.string().min(1),
  /** Quiet time after the last change event before the file is re-read (editors write in several steps). */
  debounce: durationSchema.prefault('500ms'),
});
export type FileDirectoryConfig = z.infer<typeof fileDirectoryConfigSchema>;
