import { pino, type Logger } from 'pino';
import { redactor } from './redact.ts';
export type { Logger };

/** Paths pino removes from every log line, whatever logs them: secrets never reach the logs. */
export const REDACT_PATHS = [
  'secret',
  '*.secret',
  'password',
  '*.password',
  'token',
  '*.token',
  'clientSecret',
  '*.clientSecret',
  'refreshToken',
  '*.refreshToken',
  'authorization',
  '*.authorization',
  'headers.authorization',
  'req.headers.authorization',
  'req.headers.cookie',
  'config.*.secret',
];

/**
 * `secrets`: configured secret values, removed from every line as written (the paths above catch
 * secrets by field name; these catch them inside messages, such as an upstream error that echoes one).
 */
export function createLogger(opts: { level?: string; name?: string; destination?: NodeJS.WritableStream; secrets?: readonly string[] } = {}): Logger {
  const redact = redactor(opts.secrets ?? []);
  const options = {
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    name: opts.name ?? 'presence-hub',
    redact: { paths: REDACT_PATHS, censor: '[redacted]' },
    ...(opts.secrets !== undefined && opts.secrets.length > 0 ? { hooks: { streamWrite: redact } } : {}),
  };
  return opts.destination === undefined ? pino(options) : pino(options, opts.destination as pino.DestinationStream);
}

/** A logger that writes nothing, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
