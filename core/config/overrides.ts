/**
 * The environment variables that override a configuration key when the hub starts (README
 * "Configuration reference"): what runs is the file with these applied. GET /v1/config shows the
 * result and lists each override, so an administrator sees `server.port: 9090 (PORT)` rather than
 * the file's 8080.
 */
export interface EnvOverride {
  /** The configuration key it replaces, dotted (`server.port`). */
  readonly path: string;
  /** The environment variable (`PORT`). */
  readonly variable: string;
  /** The value in force (numbers for numeric keys). */
  readonly value: string | number;
  /** True when the value may carry credentials (a Redis URL): shown masked. */
  readonly secret?: boolean;
}

const set = (v: string | undefined): v is string => v !== undefined && v !== '';

/** The port `PORT` asks for, or an error message naming what is wrong with it; undefined when unset. */
export function portFromEnv(env: NodeJS.ProcessEnv): number | { error: string } | undefined {
  const raw = env.PORT;
  if (!set(raw)) return undefined;
  const n = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || n > 65535) return { error: `PORT: must be a port number from 0 to 65535 (got ${JSON.stringify(raw.slice(0, 32))})` };
  return n;
}

/** The overrides the environment applies, in a fixed order. An invalid PORT is left out (the loader refuses it). */
export function envOverrides(env: NodeJS.ProcessEnv): EnvOverride[] {
  const out: EnvOverride[] = [];
  const port = portFromEnv(env);
  if (typeof port === 'number') out.push({ path: 'server.port', variable: 'PORT', value: port });
  if (set(env.REDIS_URL)) out.push({ path: 'redis.url', variable: 'REDIS_URL', value: env.REDIS_URL, secret: true });
  if (set(env.NODE_ID)) out.push({ path: 'node.id', variable: 'NODE_ID', value: env.NODE_ID });
  if (set(env.LOG_LEVEL)) out.push({ path: 'log.level', variable: 'LOG_LEVEL', value: env.LOG_LEVEL.trim().toLowerCase() });
  return out;
}
