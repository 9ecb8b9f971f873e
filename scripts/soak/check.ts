/**
 * The end-of-run checks, read straight from Redis with a pipeline on the hub's prefix (the method
 * of test/integration/convergence.test.ts): the queue drained, every acknowledged signal present
 * in its register (docs/architecture.md invariant 3), every stored presence equal to the pure aggregation of
 * the person's registers (invariant 1).
 */
import { draftOf } from '../../core/manager/presence-manager.ts';
import { offlinePresence } from '../../core/model/presence.ts';
import { redisPipeline } from '../../core/pipeline/redis/index.ts';
import { aggregate } from '../../core/rules/aggregate.ts';
import type { Rules } from '../../core/rules/rules-config.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { regKey } from './load.ts';

export interface CheckResult {
  drained: boolean;
  acceptedSignals: number;
  appliedSignals: number;
  lost: number;
  lostExamples: string[];
  diverged: number;
  divergedExamples: string[];
  registers: number;
  /** People whose Teams register disagrees with their Teams client (a reading that never reached the hub). */
  teamsStale: number;
  teamsStaleExamples: string[];
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function finalCheck(o: {
  redisUrl: string;
  prefix: string;
  people: readonly string[];
  accepted: ReadonlyMap<string, readonly number[]>;
  rules: Rules;
  /** Person -> the availability the Teams register must hold (see Upstreams.teamsTruth). */
  teamsTruth: () => ReadonlyMap<string, number>;
  /** How long to wait for the queue and the time boundaries to settle. */
  settleMs: number;
  log: (line: string) => void;
}): Promise<CheckResult> {
  const p = await redisPipeline({ url: o.redisUrl, prefix: o.prefix, log: silentLogger(), nodeId: 'soak-checker' });
  try {
    const until = Date.now() + o.settleMs;
    let drained = false;
    while (Date.now() < until) {
      const depth = await p.queue.depth();
      if (depth === 0) {
        drained = true;
        break;
      }
      o.log(`waiting for the queue to drain: ${depth} waiting`);
      await sleep(1000);
    }

    const compare = async (): Promise<{ lost: number; lostExamples: string[]; diverged: string[]; registers: number; applied: number; accepted: number; stale: string[] }> => {
      const truth = o.teamsTruth();
      const stale: string[] = [];
      const chunks: string[][] = [];
      for (let i = 0; i < o.people.length; i += 500) chunks.push(o.people.slice(i, i + 500));
      let lost = 0;
      let applied = 0;
      let accepted = 0;
      let registers = 0;
      const lostExamples: string[] = [];
      const diverged: string[] = [];
      const seen = new Set<string>();
      for (const people of chunks) {
        const [regs, pres, now] = await Promise.all([p.store.getRegisters(people), p.store.getPresence(people), p.store.now()]);
        for (const person of people) {
          const r = regs.get(person);
          const list = r?.registers ?? [];
          registers += list.length;
          for (const reg of list) {
            const k = regKey({ person, source: reg.source, endpoint: reg.endpoint, category: reg.category });
            seen.add(k);
            const versions = o.accepted.get(k);
            if (versions === undefined) continue;
            const final = reg.sourceVersion ?? 0;
            const missing = versions.filter((v) => v > final).length;
            accepted += versions.length;
            applied += versions.length - missing;
            if (missing > 0) {
              lost += missing;
              if (lostExamples.length < 10) lostExamples.push(`${person} ${reg.source}/${reg.endpoint}/${reg.category}: register at version ${final}, accepted up to ${Math.max(...versions)}`);
            }
          }
          const want = truth.get(person);
          const teams = list.find((x) => x.source === 'teams' && x.endpoint === 'teams');
          const expected = draftOf(person, aggregate(list, now, o.rules));
          // Who decides the merged presence tells a ghost (Teams' own stale state keeps the hub's
          // session alive) from a state Teams cannot show (another source keeps the person busy,
          // and the hub's session hides the client's own state until it ends).
          if (want !== undefined && teams?.availability !== want) {
            stale.push(`${person}: Teams client says ${want}, register ${teams?.availability ?? 'absent'}; merged ${expected.class} decided by ${expected.decidedBy ?? 'nobody'}`);
          }
          const stored = pres.get(person);
          // Nothing stored means offline (the baseline every watcher sees).
          const got = draftOf(person, stored ?? offlinePresence(person, 0));
          if (JSON.stringify(got) !== JSON.stringify(expected)) diverged.push(`${person}: stored ${JSON.stringify(got)} != aggregate ${JSON.stringify(expected)}`);
        }
      }
      // Registers acknowledged but absent altogether.
      for (const [k, versions] of o.accepted) {
        if (seen.has(k)) continue;
        lost += versions.length;
        accepted += versions.length;
        if (lostExamples.length < 10) lostExamples.push(`${k.replace(/[\u0000\u0001]/g, ' ')}: no register, ${versions.length} accepted`);
      }
      return { lost, lostExamples, diverged, registers, applied, accepted, stale };
    };

    // Presence may lag a boundary that falls due during the check: compare again until it holds.
    let r = await compare();
    while ((r.diverged.length > 0 || r.stale.length > 0) && Date.now() < until + 20_000) {
      o.log(`${r.diverged.length} people differ from aggregate(registers), ${r.stale.length} Teams registers stale; checking again`);
      await sleep(2000);
      r = await compare();
    }
    return { drained, acceptedSignals: r.accepted, appliedSignals: r.applied, lost: r.lost, lostExamples: r.lostExamples, diverged: r.diverged.length, divergedExamples: r.diverged.slice(0, 10), registers: r.registers, teamsStale: r.stale.length, teamsStaleExamples: r.stale.slice(0, 10) };
  } finally {
    await p.close();
  }
}
