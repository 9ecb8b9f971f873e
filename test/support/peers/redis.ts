/**
 * A private redis-server for tests and benchmarks (docs/connectors.md, "Test tiers" and adding a
 * peer): a free loopback port, a throwaway directory, no persistence, in the
 * foreground; `restart()` stops it and starts it again on the same port (data lost, as after a
 * crash without AOF), for the reconnect tests. Never the Redis on the standard port.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchInDir, PeerProcess } from './process.ts';
import { freePort } from '../ports.ts';
export { freePort };

export const REDIS_INSTALL = 'apt-get install -y redis-server';

export interface RedisPeer {
  readonly url: string;
  readonly port: number;
  readonly dir: string;
  /** Stops the server (SIGTERM, then SIGKILL after 5 s) and removes its directory. */
  stop(): Promise<void>;
  /** Stops the server and starts a fresh one on the same port; `downMs` keeps it down meanwhile. */
  restart(opts?: { downMs?: number }): Promise<void>;
  /** Stops the server without removing anything (for tests that observe the outage); SIGTERM by default, `SIGKILL` for a crash. */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again after `kill()`. */
  start(): Promise<void>;
}

export function requireRedisServer(): void {
  const r = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    throw new Error(`redis-server is not installed (not found on PATH); install it with: ${REDIS_INSTALL}`);
  }
}

/** True once the server answers PING with +PONG. */
export function pong(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host: '127.0.0.1', port });
    let buf = '';
    s.setTimeout(500, () => {
      s.destroy();
      resolve(false);
    });
    s.once('connect', () => s.write('PING\r\n'));
    s.on('data', (d: Buffer) => {
      buf += d.toString();
      if (buf.includes('\r\n')) {
        s.destroy();
        resolve(buf.startsWith('+PONG'));
      }
    });
    s.once('error', () => resolve(false));
  });
}

/** `args` are appended to the command line (later options win): e.g. `--appendonly yes` for a restart that keeps the data. */
export async function startRedis(opts: { args?: readonly string[] } = {}): Promise<RedisPeer> {
  requireRedisServer();
  const dir = mkdtempSync(join(tmpdir(), 'ph-redis-'));
  const port = await freePort();
  const proc = new PeerProcess({
    name: `redis-server on 127.0.0.1:${port}`,
    command: 'redis-server',
    args: () => ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--daemonize', 'no', '--maxmemory-policy', 'noeviction', ...(opts.args ?? [])],
    ready: () => pong(port),
  });
  const peer = await launchInDir(proc, dir);
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    dir,
    ...peer,
    async restart(opts = {}) {
      await peer.kill('SIGTERM');
      if (opts.downMs !== undefined) await new Promise((r) => setTimeout(r, opts.downMs));
      await peer.start();
    },
  };
}
