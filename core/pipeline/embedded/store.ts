import type { Presence } from '../../model/presence.ts';
import { judgeIncoming, type Register } from '../../model/register.ts';
import { registerKey, type Signal } from '../../model/signal.ts';
import type { Clock } from '../../util/clock.ts';
import { nextViewStamps, OFFLINE_FINGERPRINT, stateKey } from '../fingerprint.ts';
import type { ApplyResult, Basis, CommitResult, PersonRegisters, PresenceDraft, PresenceStore } from '../ports.ts';

interface PersonState {
  rev: number;
  registers: Map<string, Register>;
  presence?: Presence;
  basis?: Basis;
  fingerprint?: string;
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
      s = { rev: 0, registers: new Map() };
      this.people.set(person, s);
    }
    return s;
  }

  async applySignals(signals: readonly Signal[]): Promise<ApplyResult[]> {
    return signals.map((sig) => {
      const s = this.state(sig.person);
      const key = registerKey(sig);
      const outcome = judgeIncoming(s.registers.get(key), sig);
      if (outcome !== 'applied') return { outcome };
      // Stamps strictly increase, so publication order is total even within one millisecond.
      const publishedAt = Math.max(this.clock.now(), this.lastStamp + 1e-3);
      this.lastStamp = publishedAt;
      const { receivedAt: _r, ...rest } = sig;
      const register: Register = Object.freeze({ ...rest, publishedAt });
      s.registers.set(key, register);
      s.rev += 1;
      return { outcome, register };
    });
  }

  async registerCensus(entries: readonly { person: string; keysAbove: number }[]): Promise<Map<string, { count: number; keys?: ReadonlySet<string> }>> {
    const out = new Map<string, { count: number; keys?: ReadonlySet<string> }>();
    for (const { person, keysAbove } of entries) {
      const regs = this.people.get(person)?.registers;
      const count = regs?.size ?? 0;
      out.set(person, count > keysAbove ? { count, keys: new Set(regs?.keys() ?? []) } : { count });
    }
    return out;
  }

  async getRegisters(people: readonly string[]): Promise<Map<string, PersonRegisters>> {
    const out = new Map<string, PersonRegisters>();
    for (const p of people) {
      const s = this.people.get(p);
      out.set(p, s === undefined ? { rev: 0, registers: [] } : { rev: s.rev, registers: [...s.registers.values()] });
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

  async commitPresence(entries: readonly { draft: PresenceDraft; basis: Basis; fingerprint: string }[]): Promise<CommitResult[]> {
    return entries.map(({ draft, basis, fingerprint }) => {
      const s = this.state(draft.person);
      if (!basisNewer(basis, s.basis)) return { accepted: false, changed: false };
      s.basis = basis;
      if ((s.fingerprint ?? OFFLINE_FINGERPRINT) === fingerprint) return s.presence === undefined ? { accepted: true, changed: false } : { accepted: true, changed: false, presence: s.presence };
      // `since` is when the state a watcher sees last changed (stateKey), not any field.
      const since = s.presence !== undefined && stateKey(s.presence) === stateKey(draft) ? s.presence.since : basis.at;
      const views = nextViewStamps(s.presence, draft, basis.at);
      const presence: Presence = Object.freeze({ ...draft, since, version: (s.presence?.version ?? 0) + 1, views });
      s.presence = presence;
      s.fingerprint = fingerprint;
      return { accepted: true, changed: true, presence };
    });
  }

  async forget(people: readonly string[]): Promise<void> {
    for (const p of people) this.people.delete(p);
  }

  async close(): Promise<void> {}
}
