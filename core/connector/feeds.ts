import type { PresenceStore } from '../pipeline/ports.ts';
import type { Health } from './contract.ts';

/** A connector that is failing now (degraded, or stopped after an error), as the board marks it. */
export interface FailingFeed {
  readonly id: string;
  readonly kind: string;
  readonly state: Health['state'];
  /** The first failure after the last success (the supervisor's failingSince), epoch ms. */
  readonly since?: number;
}

/** Failing: degraded, or stopped with an error newer than its last success (a permanent failure); undefined when not. */
export function failingOf(h: Pick<Health, 'state' | 'lastOkAt' | 'lastError' | 'failingSince'>): Pick<FailingFeed, 'state' | 'since'> | undefined {
  const failed = h.state === 'degraded' || (h.state === 'stopped' && h.lastError !== undefined && (h.lastOkAt === undefined || h.lastError.at > h.lastOkAt));
  if (!failed) return undefined;
  const since = h.failingSince ?? h.lastError?.at;
  return { state: h.state, ...(since !== undefined ? { since } : {}) };
}

/** The failing ones of these supervisors (this node's own health of each: see cluster-health.ts for the cluster's view). */
export function failingFeeds(supervisors: Iterable<readonly [string, { readonly kind: string; health(): Health }]>): FailingFeed[] {
  const out: FailingFeed[] = [];
  for (const [id, s] of supervisors) {
    const f = failingOf(s.health());
    if (f !== undefined) out.push({ id, kind: s.kind, ...f });
  }
  return out.sort((a, b) => a.id.localeCompare(b.id));
}

/**
 * Who each failing connector feeds: the people holding a register whose source is that connector
 * (whatever the register's verdict now: a stale state it left counts as fed by it). Reads the
 * registers in chunks, and only when something is failing.
 */
export async function peopleFedBy(store: PresenceStore, people: readonly string[], sources: readonly string[], chunk = 1000): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>(sources.map((s) => [s, []]));
  if (sources.length === 0) return out;
  for (let i = 0; i < people.length; i += chunk) {
    const regs = await store.getRegisters(people.slice(i, i + chunk));
    for (const [person, pr] of regs) {
      const seen = new Set<string>();
      for (const r of pr.registers) {
        const list = out.get(r.source);
        if (list === undefined || seen.has(r.source)) continue;
        seen.add(r.source);
        list.push(person);
      }
    }
  }
  for (const list of out.values()) list.sort();
  return out;
}
