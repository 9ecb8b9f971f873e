import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { connect } from 'node:net';

/**
 * One peer server process (redis-server, slapd) that a test can start, stop and start again on
 * the same port: `start()` spawns it and waits until `ready()` answers (10 s at most), `stop()`
 * sends a signal and escalates to SIGKILL after 5 s.
 */
export class PeerProcess {
  private child: ChildProcess | undefined;
  private exited = true;
  private output = '';

  constructor(
    private readonly o: { name: string; command: string; args: () => readonly string[]; ready: () => Promise<boolean>; stdout?: boolean },
  ) {}

  async start(): Promise<void> {
    const c = spawn(this.o.command, [...this.o.args()], { stdio: ['ignore', this.o.stdout === false ? 'ignore' : 'pipe', 'pipe'] });
    this.child = c;
    this.exited = false;
    const keep = (d: Buffer): void => {
      this.output = (this.output + d.toString()).slice(-4000);
    };
    c.stdout?.on('data', keep);
    c.stderr?.on('data', keep);
    c.once('exit', () => {
      this.exited = true;
    });
    const deadline = Date.now() + 10_000;
    while (!(await this.o.ready())) {
      if (this.exited || Date.now() > deadline) {
        c.kill('SIGKILL');
        throw new Error(`${this.o.name} did not start: ${this.output}`);
      }
      await new Promise((r) => setTimeout(r, 30));
    }
  }

  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    const c = this.child;
    if (c === undefined || this.exited) return;
    const done = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill(signal);
    const t = setTimeout(() => c.kill('SIGKILL'), 5000);
    await done;
    clearTimeout(t);
  }
}

/** True once something on 127.0.0.1:`port` accepts a TCP connection. */
export function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** What a started peer in a throwaway directory offers: an outage (`kill`, `start`) and the end (`stop`). */
export interface LaunchedPeer {
  /** Stops the server and keeps its directory; SIGTERM by default, `SIGKILL` for a crash. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again after `kill()`, on the same ports. */
  start(): Promise<void>;
  /** Stops the server (SIGTERM) and removes its directory (unless `keep()` says otherwise). */
  stop(): Promise<void>;
}

/**
 * Runs `prepare` (e.g. seeding) and starts `proc`, whose files live in `dir`; if either fails, `dir` is
 * removed and the error rethrown (its message followed by `detail()`, e.g. the end of a log, when given).
 */
export async function launchInDir(
  proc: PeerProcess,
  dir: string,
  o: { prepare?: () => void; detail?: () => string; keep?: () => boolean } = {},
): Promise<LaunchedPeer> {
  try {
    o.prepare?.();
    await proc.start();
  } catch (e) {
    const tail = o.detail?.();
    rmSync(dir, { recursive: true, force: true });
    if (tail === undefined) throw e;
    throw new Error(`${e instanceof Error ? e.message : String(e)}\n${tail}`);
  }
  return {
    kill: (signal: NodeJS.Signals = 'SIGTERM') => proc.stop(signal),
    start: () => proc.start(),
    async stop() {
      await proc.stop('SIGTERM');
      if (o.keep?.() === true) return;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
