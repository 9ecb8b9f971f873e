/**
 * The boundary storm, for bench/pipeline.ts (storm.settle_ms) and bench/scale.ts: `people` people
 * loaded, `transitions` of them with a calendar window starting at the same instant S (a company
 * whose meetings all start at 10:00), the others with a user state. Measured: from S until the
 * last of the `transitions` busy changes reached the bus. Works on either pipeline.
 */
import { PresenceManager } from '../../core/manager/presence-manager.ts';
import type { Signal } from '../../core/model/signal.ts';
import type { Pipeline } from '../../core/pipeline/ports.ts';
import { DEFAULT_RULES } from '../../core/rules/rules-config.ts';
import { silentLogger } from '../../core/util/logger.ts';

export interface StormResult {
  /** From S until the last transition reached the bus. */
  readonly settleMs: number;
  /** Loading the people (signals enqueued until all committed), for the record. */
  readonly loadMs: number;
}

async function until(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`storm: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export async function storm(p: Pipeline, opts: { people: number; transitions: number; leadMs?: number; onInstant?: () => void }): Promise<StormResult> {
  const { people, transitions } = opts;
  let done = 0;
  const manager = new PresenceManager({ pipeline: p, rules: DEFAULT_RULES, log: silentLogger() });
  manager.start();
  let busy = 0;
  let lastBusyAt = 0;
  const off = p.bus.subscribe((x) => {
    if (x.class === 'busy' && x.person.charCodeAt(0) === 0x63 /* c */) {
      busy++;
      lastBusyAt = Date.now();
    }
  });
  const changed = manager.onChanges((c) => {
    done += c.length;
  });
  let applied = 0;
  const signalsOff = manager.onSignals((items) => {
    applied += items.length;
  });
  const t0 = Date.now();
  const load = async (from: number, to: number, signal: (k: number) => Signal): Promise<void> => {
    for (let i = from; i < to; i += 1000) {
      const batch: Signal[] = [];
      for (let k = i; k < Math.min(to, i + 1000); k++) batch.push(signal(k));
      await p.queue.enqueue(batch);
      // Keep the queue short: the loading is not what is measured, memory is.
      while ((await p.queue.depth()) > 50_000) await new Promise((r) => setTimeout(r, 10));
    }
  };
  // The others first (each changes once, offline -> available): their rate sets the lead time of
  // the meetings, so that a slow machine still loads everyone before the instant.
  await load(transitions, people, (k) => ({ person: `o${k}`, source: 'teams', endpoint: 'client', category: 'user', expireType: 'user', availability: 3500 }));
  await until(() => done >= people - transitions, 120_000 + people, 'the loading');
  const perPerson = people > transitions ? (Date.now() - t0) / (people - transitions) : 0.1;
  const start = (await p.store.now()) + (opts.leadMs ?? Math.max(5000, 3 * perPerson * transitions + 3000));
  await load(0, transitions, (k) => ({ person: `c${k}`, source: 'exchange', endpoint: 'calendar', category: 'calendar', expireType: 'time', availability: 6500, from: start, until: start + 3_600_000 }));
  // Every signal applied (the meetings change nothing before S, so no change tells of them).
  await until(() => applied >= people, 120_000 + transitions, 'the meetings');
  const loadedAt = await p.store.now();
  if (loadedAt > start) throw new Error(`storm: loading took ${Math.round(loadedAt - t0)} ms, longer than the lead time`);
  // For CPU figures of the storm alone (the caller reads its counters at S and after the return).
  const instant = opts.onInstant !== undefined ? setTimeout(opts.onInstant, start - loadedAt) : undefined;
  await until(() => busy >= transitions, 60_000 + transitions + (start - loadedAt), 'the transitions');
  clearTimeout(instant);
  off();
  changed();
  signalsOff();
  return { settleMs: lastBusyAt - start, loadMs: loadedAt - t0 };
}
