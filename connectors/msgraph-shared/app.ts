/**
 * The Entra application every Graph connector signs in as: its configuration keys and the one
 * client-credentials setup (token provider, pacer, Graph client) the three Graph kinds share.
 */
import type { Client } from '@microsoft/microsoft-graph-client';
import { z } from 'zod';
import type { HealthReporter } from '../../core/connector/contract.ts';
import type { Clock } from '../../core/util/clock.ts';
import { ClientCredentialsProvider, defaultScope, defaultTokenEndpoint } from './auth.ts';
import { createGraphClient } from './graph-client.ts';
import { RequestPacer } from './pacer.ts';

/** Connection settings of the Graph app (national clouds and the simulator set their own URLs). */
export const graphAppSchema = z.object({
  tenantId: z.string().min(1).max(128),
  clientId: z.string().min(1).max(128),
  /** Secret: `${VARIABLE}` from the environment. */
  clientSecret: z.string().min(1),
  /** https://graph.microsoft.com (global), https://graph.microsoft.us, https://microsoftgraph.chinacloudapi.cn, or the simulator. */
  graphBaseUrl: z.url().default('https://graph.microsoft.com'),
  /** Default https://login.microsoftonline.com/{tenantId}/oauth2/v2.0/token. */
  tokenEndpoint: z.url().optional(),
  /** Default {graph origin}/.default. */
  scope: z.string().min(1).optional(),
});
export type GraphAppConfig = z.infer<typeof graphAppSchema>;

export interface GraphApp {
  readonly tokens: ClientCredentialsProvider;
  readonly pacer: RequestPacer;
  readonly graph: Client;
}

/** The token provider for the app's client credentials (OAuth 2.0 client credentials grant, RFC 6749 section 4.4). */
export function appTokens(c: GraphAppConfig, clock: Clock): ClientCredentialsProvider {
  return new ClientCredentialsProvider({ tokenEndpoint: c.tokenEndpoint ?? defaultTokenEndpoint(c.tenantId), clientId: c.clientId, clientSecret: c.clientSecret, scope: c.scope ?? defaultScope(c.graphBaseUrl), clock });
}

/** Tokens, a request pacer of `limit` requests per `windowMs`, and the Graph client that uses both; throttling counted in health. */
export function graphApp(o: { config: GraphAppConfig; clock: Clock; report: HealthReporter; budget: { limit: number; windowMs: number }; timeoutMs?: number }): GraphApp {
  const tokens = appTokens(o.config, o.clock);
  const pacer = new RequestPacer({ limit: o.budget.limit, windowMs: o.budget.windowMs, clock: o.clock });
  const graph = createGraphClient({
    baseUrl: o.config.graphBaseUrl,
    tokens,
    pacer,
    clock: o.clock,
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
    events: { onThrottled: () => o.report.count('throttled') },
  });
  return { tokens, pacer, graph };
}
