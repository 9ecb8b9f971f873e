import type { ConnectorManifest } from '../../core/connector/contract.ts';
import { AES_SECRET_FIELDS, aesConfigSchema, type AesConfig } from './config.ts';
import { AvayaAesConnector } from './connector.ts';

/** Avaya AE Services line state over DMCC XML: every desk phone's calls as a phone register. */
export const avayaAesManifest: ConnectorManifest<AesConfig> = {
  kind: 'avaya-aes',
  description: 'Avaya Communication Manager line state through AE Services DMCC (ringing, dialing, in a call, on hold, idle)',
  capabilities: ['collect'],
  configSchema: aesConfigSchema,
  secretFields: [...AES_SECRET_FIELDS],
  identitySchemes: ['ext', 'tel'],
  create: (ctx) => new AvayaAesConnector(ctx),
};
