import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { loadConfigFile, parseConfig, type LoadedConfig } from '../core/config/load.ts';
import { portFromEnv } from '../core/config/overrides.ts';
import { Hub } from '../core/hub.ts';
import type { RedisPipeline } from '../core/pipeline/redis/index.ts';
import { systemClock, type Clock } from '../core/util/clock.ts';
import { createLogger, type Logger } from '../core/util/logger.ts';
import { HubError } from '../core/errors.ts';
import { manifestsByKind } from '../connectors/index.ts';
import { buildApp } from './app.ts';
import { dashboard } from './dashboard/plugin.ts';
import { demoConfig } from './demo.ts';

export interface RunningHub {
  readonly hub: Hub;
  readonly app: FastifyInstance;
  readonly url: string;
  readonly loaded: LoadedConfig;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', '::1', 'localhost']);

export function loadHubConfig(opts: { configFile?: string; env?: NodeJS.ProcessEnv }): LoadedConfig {
  const env = opts.env ?? process.env;
  const file = opts.configFile ?? env.HUB_CONFIG;
  return file === undefined || file === '' ? parseConfig(demoConfig(), { env, manifests: manifestsByKind }) : loadConfigFile(file, { env, manifests: manifestsByKind });
}

async function pipelineFor(loaded: LoadedConfig, env: NodeJS.ProcessEnv, deps: { log: Logger; nodeId: string }): Promise<RedisPipeline | undefined> {
  const r = loaded.config.redis;
  const url = env.REDIS_URL || r?.url;
  const sentinels = r?.sentinels;
  if ((url === undefined || url === '') && sentinels === undefined) return undefined;
  // Loaded only in Redis mode: embedded mode never touches BullMQ or ioredis.
  const { redisPipeline } = await import('../core/pipeline/redis/index.ts');
  return redisPipeline({
    ...(url !== undefined && url !== '' ? { url } : {}),
    ...(sentinels !== undefined ? { sentinels, ...(r?.name !== undefined ? { name: r.name } : {}) } : {}),
    ...(r?.minReplicas !== undefined ? { minReplicas: r.minReplicas } : {}),
    ...(r?.lockDuration !== undefined ? { lockDurationMs: r.lockDuration } : {}),
    ...(r?.stalledInterval !== undefined ? { stalledIntervalMs: r.stalledInterval } : {}),
    prefix: r?.prefix ?? 'ph',
    log: deps.log,
    nodeId: deps.nodeId,
  });
}

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** `LOG_LEVEL` when set (checked: pino would throw an unclear error), else the file's, else info. */
export function logLevel(fromEnv: string | undefined, fromFile: string | undefined): string {
  if (fromEnv === undefined || fromEnv === '') return fromFile ?? 'info';
  const level = fromEnv.trim().toLowerCase();
  if (!LEVELS.includes(level)) throw new HubError('HUB_ERR_CONFIG', `LOG_LEVEL: must be one of ${LEVELS.join(', ')} (got ${JSON.stringify(fromEnv.slice(0, 32))})`);
  return level;
}

/** Loads the configuration, composes the hub, and listens. */
export async function startHub(
  opts: { configFile?: string; env?: NodeJS.ProcessEnv; log?: Logger; logDestination?: NodeJS.WritableStream; clock?: Clock; port?: number; loaded?: LoadedConfig } = {},
): Promise<RunningHub> {
  const env = opts.env ?? process.env;
  const loaded = opts.loaded ?? loadHubConfig(opts);
  // Configured secrets are removed from every log line, even from messages that quote an upstream's error.
  // LOG_LEVEL overrides the file (README "Configuration reference"): an operator debugging a node
  // raises its level without editing the shared configuration.
  const log = opts.log ?? createLogger({ level: logLevel(env.LOG_LEVEL, loaded.config.log?.level), secrets: loaded.secrets, ...(opts.logDestination !== undefined ? { destination: opts.logDestination } : {}) });
  const clock = opts.clock ?? systemClock;
  const nodeId = env.NODE_ID || loaded.config.node?.id || `${hostname()}-${process.pid}`;
  const pipeline = await pipelineFor(loaded, env, { log, nodeId });
  const leaseTtl = loaded.config.redis?.leaseTtl;
  const hub = new Hub({
    loaded,
    manifests: manifestsByKind,
    clock,
    log,
    nodeId,
    ...(pipeline !== undefined ? { pipeline, lease: pipeline.lease, ...(leaseTtl !== undefined ? { leaseTtlMs: leaseTtl } : {}) } : {}),
  });
  const app = await buildApp({ hub, loaded, log, clock, plugins: [dashboard({ hub, loaded, log, clock })] });
  let host = loaded.config.server.host ?? '127.0.0.1';
  if (loaded.config.auth.keys.length === 0) {
    if (!LOOPBACK.has(host)) log.warn({ host }, `no API keys configured: listening on loopback only instead of ${host}`);
    host = '127.0.0.1';
    log.warn('no API keys configured: the hub listens on 127.0.0.1 only and every local caller has full access');
  }
  const fromEnv = portFromEnv(env);
  if (typeof fromEnv === 'object') throw new HubError('HUB_ERR_CONFIG', fromEnv.error);
  const port = opts.port ?? fromEnv ?? loaded.config.server.port;
  await hub.start();
  const address = await app.listen({ host, port });
  log.info({ address, mode: hub.pipeline.mode, people: hub.directory.size, connectors: hub.supervisors.size, demo: loaded.config.demo }, `presence hub listening on ${address}`);
  log.info({ dashboard: dashboardUrl(address) }, `dashboard at ${dashboardUrl(address)} (sign in with an API key)`);
  let closing: Promise<void> | undefined;
  return {
    hub,
    app,
    url: address,
    loaded,
    close: () =>
      (closing ??= (async () => {
        await app.close();
        await hub.stop();
      })()),
  };
}

/** Where a person points a browser: a wildcard listen address is not one, the local host is. */
export function dashboardUrl(address: string): string {
  const u = new URL('/', address);
  if (u.hostname === '0.0.0.0' || u.hostname === '[::]') u.hostname = 'localhost';
  return u.toString();
}
