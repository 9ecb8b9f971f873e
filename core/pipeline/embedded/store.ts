import type { Presence } from '../../model/presence.ts';
import { judgeIncoming, registerOf, type Register } from '../../model/register.ts';
import { registerKey, type Signal } from '../../model/signal.ts';
import type { Clock } from '../../util/clock.ts';
import { nextViewStamps, OFFLINE_DRAFT, sameFingerprint, sameState } from '../fingerprint.ts';
import type { ApplyResult, Basis, CommitResult, PersonRegisters, PresenceDraft, PresenceStore } from '../ports.ts';
import { presenceOf } from '../presence-of.ts';

interface PersonState {
  rev: number;
  /**
   * The registers in the order first applied (what `getRegisters` returns, and the order of the
   * explanation). Found by source, endpoint and category: a person has a handful, so a scan that
   * compares the signal's own strings is cheaper than building a register key and hashing it.
   */
  registers: Register[];
  /** True once `registers` was handed out by getRegisters: the next change copies it first. */
  shared: boolean;
  /** Index by registerKey, kept only for people with more than INDEX_ABOVE registers. */
  index?: Map<string, number>;
  presence?: Presence;
  basis?: Basis;
}

const STALE: ApplyResult = Object.freeze({ outcome: 'stale' });
const DUPLICATE: ApplyResult = Object.freeze({ outcome: 'duplicate' });
const NOT_ACCEPTED: CommitResult = Object.freeze({ accepted: false, changed: false });
const UNCHANGED: CommitResult = Object.freeze({ accepted: true, changed: false });
/** Above this many registers a person's registers are also indexed by key (the register cap allows many). */
const INDEX_ABOVE = 16;

/** Where the register of `sig` is in `s.registers`, or -1. */
function registerAt(s: PersonState, sig: Signal): number {
  if (s.index !== undefined) return s.index.get(registerKey(sig)) ?? -1;
  const regs = s.registers;
  for (let i = 0; i < regs.length; i++) {
    const r = regs[i]!;
    if (r.source === sig.source && r.endpoint === sig.endpoint && r.category === sig.category) return i;
  }
  return -1;
}

export function basisNewer(a: Basis, b: Basis | undefined): boolean {
  return b === undefined || a.rev > b.rev || (a.rev === b.rev && a.at >= b.at);
}

/** The in-process store of embedded mode. Its clock is the node's (there is only one node). */
export class MemoryStore implements PresenceStore {
  private readonly people = new Map<string, PersonState>();
  private lastStamp = 0;

  constructor(private readonly clock: Clock) {}

  async now(): Promise<number> {
    return this.clock.now();
  }

  private state(person: string): PersonState {
    let s = this.people.get(person);
    if (s === undefined) {
      s = { rev: 0, registers: [], shared: false };
      this.people.set(person, s);
    }
    return s;
  }

  async applySignals(signals: readonly Signal[]): Promise<ApplyResult[]> {
    // One reading of the clock per batch: stamps strictly increase all the same, so publication
    // order is total even within one millisecond.
    const now = this.clock.now();
    const out: ApplyResult[] = new Array(signals.length);
    for (let i = 0; i < signals.length; i++) {
      const sig = signals[i]!;
      const s = this.state(sig.person);
      const at = registerAt(s, sig);
      const outcome = judgeIncoming(at < 0 ? undefined : s.registers[at], sig);
      if (outcome !== 'applied') {
        out[i] = outcome === 'stale' ? STALE : DUPLICATE;
        continue;
      }
      const publishedAt = Math.max(now, this.lastStamp + 1e-3);
      this.lastStamp = publishedAt;
      const register = registerOf(sig, publishedAt);
      // Copy on write: an array handed out by getRegisters stays as it was read.
      if (s.shared) {
        s.registers = s.registers.slice();
        s.shared = false;
      }
      if (at >= 0) s.registers[at] = register;
      else {
        s.registers.push(register);
        if (s.index !== undefined) s.index.set(registerKey(sig), s.registers.length - 1);
        else if (s.registers.length > INDEX_ABOVE) s.index = new Map(s.registers.map((r, j) => [registerKey(r), j]));
      }
      s.rev += 1;
      out[i] = { outcome, register };
    }
    return out;
  }

  async registerCensus(entries: readonly { person: string; keysAbove: number }[]): Promise<Map<string, { count: number; keys?: ReadonlySet<string> }>> {
    const out = new Map<string, { count: number; keys?: ReadonlySet<string> }>();
    for (const { person, keysAbove } of entries) {
      const regs = this.people.get(person)?.registers ?? [];
      const count = regs.length;
      out.set(person, count > keysAbove ? { count, keys: new Set(regs.map(registerKey)) } : { count });
    }
    return out;
  }

  async getRegisters(people: readonly string[]): Promise<Map<string, PersonRegisters>> {
    const out = new Map<string, PersonRegisters>();
    for (const p of people) {
      const s = this.people.get(p);
      if (s === undefined) out.set(p, { rev: 0, registers: [] });
      else {
        s.shared = true;
        out.set(p, { rev: s.rev, registers: s.registers });
      }
    }
    return out;
  }

  async getPresence(people: readonly string[]): Promise<Map<string, Presence>> {
    const out = new Map<string, Presence>();
    for (const p of people) {
      const pr = this.people.get(p)?.presence;
      if (pr !== undefined) out.set(p, pr);
    }
    return out;
  }

  /**
   * The fingerprint given (if any) is not read: the draft is compared with the stored presence
   * field by field (sameFingerprint, the same verdict as comparing fingerprints), without a string
   * built or compared per person.
   */
  async commitPresence(entries: readonly { draft: PresenceDraft; basis: Basis; fingerprint?: string }[]): Promise<CommitResult[]> {
    const out: CommitResult[] = new Array(entries.length);
    for (let i = 0; i < entries.length; i++) {
      const { draft, basis } = entries[i]!;
      const s = this.state(draft.person);
      if (!basisNewer(basis, s.basis)) {
        out[i] = NOT_ACCEPTED;
        continue;
      }
      s.basis = basis;
      if (sameFingerprint(s.presence ?? OFFLINE_DRAFT, draft)) {
        out[i] = s.presence === undefined ? UNCHANGED : { accepted: true, changed: false, presence: s.presence };
        continue;
      }
      const prev = s.presence;
      // `since` is when the state a watcher sees last changed (stateKey, sameState), not any field.
      const since = prev !== undefined && sameState(prev, draft) ? prev.since : basis.at;
      const views = nextViewStamps(prev, draft, basis.at);
      const presence = presenceOf(draft, since, (prev?.version ?? 0) + 1, views);
      s.presence = presence;
      out[i] = { accepted: true, changed: true, presence };
    }
    return out;
  }

  async forget(people: readonly string[]): Promise<void> {
    for (const p of people) this.people.delete(p);
  }

  async close(): Promise<void> {}
}
