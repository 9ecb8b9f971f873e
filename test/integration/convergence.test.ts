/**
 * docs/architecture.md invariant 1 on Redis: several worker processes, shuffled and duplicated signals, one
 * worker SIGKILLed between the apply and the commit of a batch. At the end every person's stored
 * presence equals the pure aggregation of its registers, and every register holds the highest
 * sourceVersion sent for it (no accepted signal lost).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { draftOf } from '../../core/manager/presence-manager.ts';
import { offlinePresence } from '../../core/model/presence.ts';
import type { Signal } from '../../core/model/signal.ts';
import { registerKey } from '../../core/model/signal.ts';
import { redisPipeline, type RedisPipeline } from '../../core/pipeline/redis/index.ts';
import { aggregate } from '../../core/rules/aggregate.ts';
import { DEFAULT_RULES } from '../../core/rules/rules-config.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { onLines } from '../support/hub-process.ts';
import { freshPrefix, redisUrl } from '../support/redis-url.ts';
import { until } from '../support/wait.ts';

const WORKER = fileURLToPath(new URL('./convergence-worker.ts', import.meta.url));
const PEOPLE = 40;
const SOURCES = ['teams', 'pbx', 'xmpp'];
const ENDPOINTS = ['a', 'b'];
const VERSIONS = 5;

interface Worker {
  child: ChildProcess;
  lines: string[];
  ready: Promise<void>;
}

function startWorker(url: string, prefix: string): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
    env: { ...process.env, PH_REDIS_URL: url, PH_PREFIX: prefix, PH_SLOW_MS: '40' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: string[] = [];
  const ready = new Promise<void>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`worker exited early (${code})`)));
    onLines(child.stdout!, (line) => {
      lines.push(line);
      if (line === 'ready') resolve();
    });
  });
  ready.catch(() => undefined);
  return { child, lines, ready };
}

/** Every signal of the run: per register, versions 1..VERSIONS with random content. */
function signals(rand: () => number): Signal[] {
  const out: Signal[] = [];
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)]!;
  for (let p = 0; p < PEOPLE; p++) {
    for (const source of SOURCES) {
      for (const endpoint of ENDPOINTS) {
        const category = source === 'pbx' ? 'phone' : source === 'xmpp' ? 'machine' : 'user';
        for (let v = 1; v <= VERSIONS; v++) {
          const base = { person: `p${p}`, source, endpoint, category, sourceVersion: v } as const;
          out.push(
            Object.freeze(
              category === 'machine'
                ? { ...base, expireType: 'device', machineState: pick(['active', 'inactive', 'away', 'off'] as const) }
                : {
                    ...base,
                    expireType: category === 'phone' ? 'device' : 'user',
                    availability: pick([3500, 6500, 9500, 15500, 18500]),
                    ...(rand() < 0.5 ? { activity: { token: pick(['on-the-phone', 'in-a-meeting', 'lunch']) } } : {}),
                  },
            ) as Signal,
          );
        }
      }
    }
  }
  return out;
}

async function waitDrained(p: RedisPipeline): Promise<void> {
  await until('the queue drained', async () => (await p.queue.depth()) === 0, { ms: 30_000, every: 100 });
}

describe('convergence on Redis with several worker processes', () => {
  const workers: Worker[] = [];
  let producer: RedisPipeline | undefined;
  afterAll(async () => {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await producer?.close();
  });

  it('every presence equals aggregate(registers) after shuffles, duplicates and a SIGKILL mid-batch', async () => {
    const url = redisUrl();
    const prefix = freshPrefix('converge');
    const seed = Date.now() % 100000;
    const rand = fc.sample(fc.infiniteStream(fc.double({ min: 0, max: 0.999999, noNaN: true })), { seed, numRuns: 1 })[0]!;
    const it = rand[Symbol.iterator]();
    const next = (): number => it.next().value as number;
    const all = signals(next);
    // Duplicates (about a third) and a shuffle: arrival order is anything.
    const sent = [...all, ...all.filter(() => next() < 0.35)];
    for (let i = sent.length - 1; i > 0; i--) {
      const j = Math.floor(next() * (i + 1));
      [sent[i], sent[j]] = [sent[j]!, sent[i]!];
    }
    producer = await redisPipeline({ url, prefix, log: silentLogger(), nodeId: 'producer' });
    for (let i = 0; i < 3; i++) workers.push(startWorker(url, prefix));
    await Promise.all(workers.map((w) => w.ready));

    // Enqueue in random batch sizes, in three waves; kill worker 0 right after it applied a batch.
    const batches: Signal[][] = [];
    for (let i = 0; i < sent.length; ) {
      const n = 1 + Math.floor(next() * 60);
      batches.push(sent.slice(i, i + n));
      i += n;
    }
    const third = Math.ceil(batches.length / 3);
    for (const b of batches.slice(0, third)) await producer.queue.enqueue(b);
    const victim = workers[0]!;
    const deadline = Date.now() + 15_000;
    while (!victim.lines.some((l) => l.startsWith('applied'))) {
      if (Date.now() > deadline) throw new Error('worker 0 never applied a batch');
      await new Promise((r) => setTimeout(r, 2));
    }
    victim.child.kill('SIGKILL');
    await Promise.all(batches.slice(third).map((b) => producer!.queue.enqueue(b)));

    const people = Array.from({ length: PEOPLE }, (_, i) => `p${i}`);
    await waitDrained(producer);

    // The last word for some people: one batch with a new version of each of their registers. The
    // worker that applies it is killed before it can commit; the batch's re-run finds every signal
    // duplicate, and only its recomputation of the whole batch brings these people up to date.
    const finalPeople = new Set(people.slice(0, 8));
    const last = all.filter((s) => finalPeople.has(s.person) && s.sourceVersion === VERSIONS)
      .map((s) => Object.freeze(s.category === 'machine' ? { ...s, sourceVersion: VERSIONS + 1, machineState: 'off' as const } : { ...s, sourceVersion: VERSIONS + 1, availability: 9500 }));
    all.push(...last);
    const survivors = workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null);
    const appliedCounts = survivors.map((w) => w.lines.filter((l) => l.startsWith('applied')).length);
    await producer.queue.enqueue(last);
    const deadline2 = Date.now() + 15_000;
    let second: Worker | undefined;
    while (second === undefined) {
      if (Date.now() > deadline2) throw new Error('nobody applied the final batch');
      second = survivors.find((w, i) => w.lines.filter((l) => l.startsWith('applied')).length > appliedCounts[i]!);
      if (second === undefined) await new Promise((r) => setTimeout(r, 1));
    }
    second.child.kill('SIGKILL');

    const maxVersion = new Map<string, number>();
    for (const s of all) maxVersion.set(`${s.person}\u0001${registerKey(s)}`, Math.max(maxVersion.get(`${s.person}\u0001${registerKey(s)}`) ?? 0, s.sourceVersion!));

    const mismatches = async (): Promise<string[]> => {
      const [regs, pres, now] = await Promise.all([producer!.store.getRegisters(people), producer!.store.getPresence(people), producer!.store.now()]);
      const bad: string[] = [];
      for (const person of people) {
        const r = regs.get(person)!;
        for (const reg of r.registers) {
          if (reg.sourceVersion !== maxVersion.get(`${person}\u0001${registerKey(reg)}`)) bad.push(`${person}: register ${registerKey(reg)} at version ${reg.sourceVersion}`);
        }
        if (r.registers.length !== SOURCES.length * ENDPOINTS.length) bad.push(`${person}: ${r.registers.length} registers`);
        const expected = draftOf(person, aggregate(r.registers, now, DEFAULT_RULES));
        const p = pres.get(person);
        // Nothing stored means offline (the baseline every watcher sees).
        const got = draftOf(person, p ?? offlinePresence(person, 0));
        if (JSON.stringify(got) !== JSON.stringify(expected)) bad.push(`${person}: stored ${JSON.stringify(got)} != ${JSON.stringify(expected)}`);
      }
      return bad;
    };

    // Stalled-job recovery (lock 2 s, check every 1 s) brings the killed worker's batch back.
    let bad: string[] = ['not checked'];
    await until('every presence converged', async () => {
      if ((await producer!.queue.depth()) === 0) bad = await mismatches();
      return bad.length === 0;
    }, { ms: 40_000, every: 250 }).catch(() => undefined); // the expectation below names what did not converge
    expect(bad, `seed ${seed}`).toEqual([]);
    expect(victim.child.signalCode).toBe('SIGKILL');
    expect(second.child.signalCode).toBe('SIGKILL');
    const regs = await producer.store.getRegisters([...finalPeople]);
    for (const p of finalPeople) expect(regs.get(p)!.registers.every((r) => r.sourceVersion === VERSIONS + 1)).toBe(true);
  }, 60_000);
});
