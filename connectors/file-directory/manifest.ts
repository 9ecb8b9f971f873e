import type { ConnectorManifest } from '../../core/connector/contract.ts';
import { fileDirectoryConfigSchema, type FileDirectoryConfig } from './config.ts';
import { FileDirectoryConnector } from './connector.ts';

/**
 * People from a YAML or CSV file, for small sites: re-read when the file changes;
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
