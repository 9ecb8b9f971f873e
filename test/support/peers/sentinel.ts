/**
 * Redis Sentinel for the failover tests: one primary and one replica (redis-server), three
 * sentinels (redis-sentinel, package `redis-sentinel`), all on free loopback ports with throwaway
 * directories, quorum 2, a primary seen down after 1 s. `killPrimary()` SIGKILLs the primary; the
 * sentinels then promote the replica (about 2-4 s).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { PeerProcess } from './process.ts';
import { freePort, pong, startRedis, type RedisPeer } from './redis.ts';

export const MASTER_NAME = 'phmaster';

export interface SentinelPeer {
  /** `host:port` of each sentinel. */
  readonly sentinels: readonly string[];
  readonly name: string;
  readonly primary: RedisPeer;
  readonly replica: RedisPeer;
  /** SIGKILLs the primary. */
  killPrimary(): Promise<void>;
  /** The primary the sentinels name now (`host:port`). */
  currentPrimary(): Promise<string>;
  stop(): Promise<void>;
}

async function untilTrue(fn: () => Promise<boolean>, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await fn().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`sentinel peer: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function startSentinels(): Promise<SentinelPeer> {
  const primary = await startRedis();
  const replica = await startRedis({ args: ['--replicaof', '127.0.0.1', String(primary.port)] });
  const dir = mkdtempSync(join(tmpdir(), 'ph-sentinel-'));
  const procs: PeerProcess[] = [];
  const ports: number[] = [];
  const admin = (port: number): Redis => new Redis({ host: '127.0.0.1', port, lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  const ask = async <T>(port: number, fn: (r: Redis) => Promise<T>): Promise<T> => {
    const r = admin(port);
    try {
      await r.connect();
      return await fn(r);
    } finally {
      r.disconnect();
    }
  };
  try {
    await untilTrue(async () => (await ask(replica.port, (r) => r.info('replication'))).includes('master_link_status:up'), 'the replica to sync', 10_000);
    for (let i = 0; i < 3; i++) {
      const port = await freePort();
      const conf = join(dir, `sentinel-${i}.conf`);
      // Sentinel rewrites its own configuration file: it must be writable.
      writeFileSync(
        conf,
        [
          `port ${port}`,
          'bind 127.0.0.1',
          'daemonize no',
          `dir ${dir}`,
          `sentinel monitor ${MASTER_NAME} 127.0.0.1 ${primary.port} 2`,
          `sentinel down-after-milliseconds ${MASTER_NAME} 1000`,
          `sentinel failover-timeout ${MASTER_NAME} 5000`,
          `sentinel parallel-syncs ${MASTER_NAME} 1`,
          '',
        ].join('\n'),
      );
      const p = new PeerProcess({ name: `redis-sentinel on 127.0.0.1:${port}`, command: 'redis-sentinel', args: () => [conf], ready: () => pong(port) });
      await p.start();
      procs.push(p);
      ports.push(port);
    }
    // Each sentinel must know the replica and the two other sentinels before a failover can run.
    for (const port of ports) {
      await untilTrue(
        async () =>
          ask(port, async (r) => {
            const replicas = (await r.call('SENTINEL', 'REPLICAS', MASTER_NAME)) as unknown[];
            const others = (await r.call('SENTINEL', 'SENTINELS', MASTER_NAME)) as unknown[];
            return replicas.length >= 1 && others.length >= 2;
          }),
        'the sentinels to discover each other',
        20_000,
      );
    }
  } catch (e) {
    for (const p of procs) await p.stop('SIGKILL');
    await replica.stop();
    await primary.stop();
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    sentinels: ports.map((p) => `127.0.0.1:${p}`),
    name: MASTER_NAME,
    primary,
    replica,
    killPrimary: () => primary.kill('SIGKILL'),
    async currentPrimary() {
      const [host, port] = (await ask(ports[0]!, (r) => r.call('SENTINEL', 'GET-MASTER-ADDR-BY-NAME', MASTER_NAME))) as [string, string];
      return `${host}:${port}`;
    },
    async stop() {
      for (const p of procs) await p.stop();
      await replica.stop();
      await primary.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
