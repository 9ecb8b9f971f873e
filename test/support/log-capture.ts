import { Writable } from 'node:stream';
import { createLogger, type Logger } from '../../core/util/logger.ts';

export interface CapturedLine {
  readonly level: number;
  readonly raw: string;
}

/** A destination stream that keeps every JSON line written to it, for a test to inspect. */
export function captureStream(): { destination: Writable; lines: CapturedLine[] } {
  const lines: CapturedLine[] = [];
  let partial = '';
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      partial += chunk.toString('utf8');
      let i: number;
      while ((i = partial.indexOf('\n')) >= 0) {
        const raw = partial.slice(0, i);
        partial = partial.slice(i + 1);
        let lvl = 0;
        try {
          lvl = (JSON.parse(raw) as { level?: number }).level ?? 0;
        } catch {
          /* a line that is not JSON is kept with level 0 and still searched */
        }
        lines.push({ level: lvl, raw });
      }
      cb();
    },
  });
  return { destination, lines };
}

/** A real pino logger (the hub's, with its redaction) whose lines are kept for the test to inspect. */
export function capturingLogger(level = 'debug', secrets?: readonly string[]): { log: Logger; lines: CapturedLine[] } {
  const { destination, lines } = captureStream();
  return { log: createLogger({ level, destination, ...(secrets !== undefined ? { secrets } : {}) }), lines };
}
