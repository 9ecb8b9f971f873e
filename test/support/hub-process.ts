import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { HubConfigInput } from '../../core/config/schema.ts';
import { teamConfig } from './hub.ts';

/** Calls `f` with each whole line (without its newline) that `stream` yields, e.g. a child's stdout. */
export function onLines(stream: Readable, f: (line: string) => void): void {
  let buf = '';
  stream.on('data', (d: Buffer) => {
    buf += d.toString();
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      f(line);
    }
  });
}

const NODE = fileURLToPath(new URL('../e2e/hub-node.ts', import.meta.url));

/** The webhook secret of the trigger a node started with `triggerUrl` runs (CONF_SECRET). */
export const TRIGGER_NODE_SECRET = 'conference-secret-0001';

/**
 * What a node started with `triggerUrl` adds to the team configuration: people p1-p5 and the
 * quorum trigger `conference` (3 of them available, 1 s hysteresis, a webhook to `url/conference`).
 * An in-process node of the same cluster uses the same (TRIGGER_NODE_SECRET as CONF_SECRET).
 */
export function triggerNodeConfig(url: string): Pick<HubConfigInput, 'people' | 'triggers'> {
  const P = ['p1', 'p2', 'p3', 'p4', 'p5'];
  return {
    people: [...(teamConfig().people ?? []), ...P.map((id) => ({ id, teams: ['conf'] }))],
    triggers: { rules: [{ id: 'conference', people: P, atLeast: 3, hysteresis: '1000ms', action: { type: 'webhook', url: `${url}/conference`, secret: '${CONF_SECRET}' } }] },
  };
}

export interface NodeProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Resolves with the first line the node printed (JSON) that matches. */
  waitFor(match: (line: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends the signal and resolves once the process exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

/** Starts test/e2e/hub-node.ts in its own process and waits until it serves. */
export async function spawnNode(o: { redisUrl: string; prefix: string; nodeId: string; holdMs?: number; triggerUrl?: string }): Promise<NodeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', NODE], {
    env: {
      ...process.env,
      PH_REDIS_URL: o.redisUrl,
      PH_PREFIX: o.prefix,
      PH_NODE_ID: o.nodeId,
      ...(o.holdMs !== undefined ? { PH_HOLD_MS: String(o.holdMs) } : {}),
      ...(o.triggerUrl !== undefined ? { PH_TRIGGER_URL: o.triggerUrl } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  const waiters = new Set<() => void>();
  let err = '';
  let exited = false;
  onLines(child.stdout!, (line) => {
    try {
      lines.push(JSON.parse(line) as Record<string, unknown>);
    } catch {
      /* not one of ours */
    }
    for (const w of waiters) w();
  });
  child.stderr!.on('data', (d: Buffer) => {
    err = (err + d.toString()).slice(-4000);
  });
  const exit = new Promise<void>((r) =>
    child.once('exit', () => {
      exited = true;
      for (const w of waiters) w();
      r();
    }),
  );
  const waitFor = (match: (l: Record<string, unknown>) => boolean, what: string, timeoutMs = 20_000): Promise<Record<string, unknown>> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const hit = lines.find(match);
        if (hit !== undefined) done(() => resolve(hit));
        else if (exited) done(() => reject(new Error(`node ${o.nodeId} exited before ${what}: ${err}`)));
      };
      const t = setTimeout(() => done(() => reject(new Error(`timed out waiting for ${what} (node ${o.nodeId}): ${err}`))), timeoutMs);
      const done = (f: () => void): void => {
        clearTimeout(t);
        waiters.delete(check);
        f();
      };
      waiters.add(check);
      check();
    });
  const ready = await waitFor((l) => typeof l.url === 'string', 'the node to serve');
  return {
    url: ready.url as string,
    child,
    waitFor,
    async kill(signal) {
      if (exited) return;
      child.kill(signal);
      await exit;
    },
  };
}

/**
 * The failover case of docs/architecture.md invariant 8: posts 300 signals (alice, bob and carol at
 * `availability`) to node `a`, waits until it holds the batch mid-apply and SIGKILLs it 200 ms after
 * its 202. Resolves with the time of the kill.
 */
export async function killHoldingBatch(a: NodeProcess, availability: string, headers: Record<string, string>): Promise<number> {
  const signals = Array.from({ length: 300 }, (_, i) => ({ person: ['alice', 'bob', 'carol'][i % 3], source: 'api', endpoint: `e${i}`, category: 'user', availability }));
  const res = await fetch(`${a.url}/v1/signals`, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(signals) });
  if (res.status !== 202) throw new Error(`POST /v1/signals to node A: ${res.status}, not 202`);
  const acceptedAt = Date.now();
  await a.waitFor((l) => l.holding !== undefined, 'node A holding the batch');
  await new Promise((r) => setTimeout(r, Math.max(0, acceptedAt + 200 - Date.now())));
  await a.kill('SIGKILL');
  return Date.now();
}
