/**
 * Hub nodes of the soak run as child processes (`node bin/presence-hub.js start --config FILE`),
 * exactly as an operator starts them: REDIS_URL, NODE_ID, PORT=0. Each node's JSON log lines go
 * to a file in the run directory; its URL comes from the "presence hub listening on URL" line.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { join } from 'node:path';

const BIN = new URL('../../bin/presence-hub.js', import.meta.url).pathname;

export class HubNode {
  private child: ChildProcess | undefined;
  private logFile: WriteStream | undefined;
  private restarts = 0;
  url = '';
  /** False between a kill and the next start (the load still hits the last URL: refused). */
  alive = false;
  paused = false;

  constructor(
    readonly id: string,
    private readonly o: { configFile: string; redisUrl: string; dir: string; env: NodeJS.ProcessEnv },
  ) {}

  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Starts the node and resolves with its URL once it listens (60 s at most). */
  async start(): Promise<string> {
    if (this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null) throw new Error(`${this.id} is running`);
    const log = createWriteStream(join(this.o.dir, `${this.id}.${this.restarts++}.log`));
    this.logFile = log;
    const child = spawn(process.execPath, [BIN, 'start', '--config', this.o.configFile], {
      env: { ...this.o.env, REDIS_URL: this.o.redisUrl, NODE_ID: this.id, PORT: '0', HUB_CONFIG: '' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.child = child;
    this.paused = false;
    let buf = '';
    const url = new Promise<string>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`${this.id} did not listen within 60 s (log: ${log.path})`)), 60_000);
      child.once('exit', (code, sig) => {
        clearTimeout(t);
        reject(new Error(`${this.id} exited during start (${code ?? sig}); log: ${log.path}`));
      });
      child.stdout!.on('data', (d: Buffer) => {
        log.write(d);
        buf += d.toString();
        let i: number;
        while ((i = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, i);
          buf = buf.slice(i + 1);
          const m = /presence hub listening on (http:\/\/[0-9.:]+)/.exec(line);
          if (m !== null) {
            clearTimeout(t);
            resolve(m[1]!);
          }
        }
      });
      child.stderr!.on('data', (d: Buffer) => log.write(d));
    });
    url.catch(() => undefined);
    child.once('exit', () => {
      this.alive = false;
    });
    this.url = await url;
    this.alive = true;
    return this.url;
  }

  /** Sends a signal; SIGKILL and SIGTERM wait for the exit. */
  async signal(sig: NodeJS.Signals): Promise<void> {
    const c = this.child;
    if (c === undefined || c.exitCode !== null || c.signalCode !== null) return;
    if (sig === 'SIGSTOP' || sig === 'SIGCONT') {
      c.kill(sig);
      this.paused = sig === 'SIGSTOP';
      return;
    }
    const done = new Promise<void>((r) => c.once('exit', () => r()));
    if (this.paused) c.kill('SIGCONT');
    c.kill(sig);
    const t = setTimeout(() => c.kill('SIGKILL'), 20_000);
    await done;
    clearTimeout(t);
    this.alive = false;
  }

  /** Graceful stop (SIGTERM: connectors stop, leases go back), SIGKILL after 20 s. */
  async stop(): Promise<void> {
    await this.signal('SIGTERM');
    this.logFile?.end();
  }

  /** Last resort on error paths: synchronous, never throws. */
  killNow(): void {
    try {
      if (this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/** GET with the admin key; undefined when the node does not answer within `timeoutMs`. */
export async function getJson<T>(url: string, key: string, timeoutMs = 3000): Promise<T | undefined> {
  try {
    const res = await fetch(url, { headers: { authorization: `Bearer ${key}` }, signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return undefined;
    return (await res.json()) as T;
  } catch {
    return undefined;
  }
}
