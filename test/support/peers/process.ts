import { spawn, type ChildProcess } from 'node:child_process';

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
