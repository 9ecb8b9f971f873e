import { samePair, type GraphPair } from './map.ts';

/** What the hub last wrote for a user: its app session (setPresence) or preferred presence. */
export interface WriteRecord {
  readonly pair: GraphPair;
  readonly at: number;
  readonly active: boolean;
  readonly kind: 'session' | 'preferred';
  readonly clearedAt?: number;
}

/**
 * The loop guard (docs/architecture.md invariant 4). The hub reads Teams presence and writes it too, through an
 * app session that Teams aggregates with the user's own sessions. While the hub's session is
 * active, a reading equal to what the hub wrote may be nothing but the hub's own write coming back
 * (an app session Busy outranks a client's Available), so it is not an independent signal: it is
 * dropped and the register keeps the last real reading. Once the session is cleared, the next
 * reading is real again (after `settleMs`, Teams' propagation delay, for a reading equal to the
 * cleared write). The publisher, for its part, never writes back a state Teams itself reported.
 *
 * The record outlives the node: every change is marked dirty and saved to the connector's shared
 * state (guard-state.ts), so a node taking the connector over knows what the hub's session shows.
 */
export class LoopGuard {
  private readonly written = new Map<string, WriteRecord>();
  private readonly real = new Map<string, GraphPair>();
  private readonly dirty = new Set<string>();
  constructor(private readonly settleMs: number) {}

  recordWrite(user: string, pair: GraphPair, now: number, kind: WriteRecord['kind'] = 'session'): void {
    this.written.set(user, { pair, at: now, active: true, kind });
    this.dirty.add(user);
  }
  recordClear(user: string, now: number): void {
    const w = this.written.get(user);
    if (w !== undefined) {
      this.written.set(user, { ...w, active: false, clearedAt: now });
      this.dirty.add(user);
    }
  }
  /** The hub's active write for the user, if any. */
  activeWrite(user: string): GraphPair | undefined {
    const w = this.written.get(user);
    return w?.active === true ? w.pair : undefined;
  }
  /** The hub's active write with when and how it was made (the publisher resumes it on another node). */
  activeRecord(user: string): WriteRecord | undefined {
    const w = this.written.get(user);
    return w?.active === true ? w : undefined;
  }
  /** The last reading that was taken as the user's own state. */
  lastReal(user: string): GraphPair | undefined {
    return this.real.get(user);
  }

  /**
   * 'echo': the hub's own write seen again; 'real': an independent observation (remembered).
   * `alsoMine`: states the hub's reconciliation says Teams may show from the hub (PublishHandle.mayShow).
   */
  classify(user: string, pair: GraphPair, now: number, alsoMine: readonly GraphPair[] = []): 'echo' | 'real' {
    // What the hub's reconciliation says Teams may show from the hub (a write of unknown outcome included).
    if (alsoMine.some((m) => samePair(m, pair))) return 'echo';
    const w = this.written.get(user);
    if (w !== undefined && samePair(w.pair, pair)) {
      if (w.active) return 'echo';
      if (w.clearedAt !== undefined && now - w.clearedAt < this.settleMs) return 'echo';
    }
    if (!samePair(this.real.get(user), pair)) {
      this.real.set(user, pair);
      this.dirty.add(user);
    }
    return 'real';
  }

  // --- persistence (guard-state.ts) ------------------------------------------------------------

  /** The users changed since the last call, with their record now; they are no longer dirty. */
  takeDirty(): { user: string; written?: WriteRecord; real?: GraphPair }[] {
    const out = [...this.dirty].map((user) => ({ user, ...this.snapshot(user) }));
    this.dirty.clear();
    return out;
  }
  /** Marks users dirty again (their save failed). */
  markDirty(users: readonly string[]): void {
    for (const u of users) this.dirty.add(u);
  }
  isDirty(user: string): boolean {
    return this.dirty.has(user);
  }
  snapshot(user: string): { written?: WriteRecord; real?: GraphPair } {
    const written = this.written.get(user);
    const real = this.real.get(user);
    return { ...(written !== undefined ? { written } : {}), ...(real !== undefined ? { real } : {}) };
  }
  /** Replaces the record of a user with the saved one (not marked dirty). */
  restore(user: string, r: { written?: WriteRecord | undefined; real?: GraphPair | undefined }): void {
    if (r.written !== undefined) this.written.set(user, r.written);
    else this.written.delete(user);
    if (r.real !== undefined) this.real.set(user, r.real);
    else this.real.delete(user);
  }
}
