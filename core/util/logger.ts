import { pino, type Logger } from 'pino';
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

export function createLogger(opts: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {}): Logger {
  const options = { level: opts.level ?? process.env.LOG_LEVEL ?? 'info', name: opts.name ?? 'presence-hub', redact: { paths: REDACT_PATHS, censor: '[redacted]' } };
  return opts.destination === undefined ? pino(options) : pino(options, opts.destination as pino.DestinationStream);
}

/** A logger that writes nothing, for tests that do not look at logs. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
