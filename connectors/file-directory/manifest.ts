import { z } from 'zod';
import type { ConnectorManifest } from '../../core/connector/contract.ts';
import { durationSchema } from '../../core/model/duration.ts';
import { FileDirectoryConnector } from './collector.ts';

export const fileDirectoryConfigSchema = z.strictObject({
  /** A YAML list of people (the `people:` shape) or a CSV file with a header row (`.csv`). Relative paths resolve against the hub's working directory. */
  path: z.string().min(1),
  /** Quiet time after the last change event before the file is re-read (editors write in several steps). */
  debounce: durationSchema.prefault('500ms'),
});
export type FileDirectoryConfig = z.infer<typeof fileDirectoryConfigSchema>;

/**
 * People from a YAML or CSV file, for small sites (issue 6 part 1): re-read when the file changes;
 * a bad file keeps the previous people and shows the error in health.
 */
export const fileDirectoryManifest: ConnectorManifest<FileDirectoryConfig> = {
  kind: 'file-directory',
  description: 'People from a YAML or CSV file, reloaded on change',
  capabilities: ['directory'],
  configSchema: fileDirectoryConfigSchema,
  secretFields: [],
  create: (ctx) => new FileDirectoryConnector(ctx),
};
