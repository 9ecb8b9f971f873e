import type { ConnectorManifest } from '../../core/connector/contract.ts';
import { directoryWebhookConfigSchema, type DirectoryWebhookConfig } from './config.ts';
import { DirectoryWebhookConnector } from './connector.ts';

/**
 * Presence out to a directory-sync service over HTTP: the availability class of
 * each person whose class changed, in signed, rate-limited batches, retried with backoff.
 */
export const directoryWebhookManifest: ConnectorManifest<DirectoryWebhookConfig> = {
  kind: 'directory-webhook',
  description: 'Availability class changes POSTed in signed batches to a directory-sync service',
  capabilities: ['publish'],
  configSchema: directoryWebhookConfigSchema,
  secretFields: ['secret'],
  create: (ctx) => new DirectoryWebhookConnector(ctx),
};
