import { samePair, type GraphPair } from './map.ts';

/**
 * The loop guard (DESIGN.md invariant 4). The hub reads Teams presence and writes it too, through an
 * app session that Teams aggregates with the user's own sessions. While the hub's session is
 * active, a reading equal to what the hub wrote may be nothing but the hub's own write coming back
 * (an app session Busy outranks a client's Available), so it is not an independent signal: it is
 * dropped and the register keeps the last real reading. Once the session is cleared, the next
 * reading is real again (after `settleMs`, Teams' propagation delay, for a reading equal to the
 * cleared write). The publisher, for its part, never writes back a state Teams itself reported.
 */
export class LoopGuard {
  private readonly written = new Map<string, { pair: GraphPair; at: number; active: boolean; clearedAt?: number }>();
  private readonly real = new Map<string, GraphPair>();
  constructor(private readonly settleMs: number) {}

  recordWrite(user: string, pair: GraphPair, now: number): void {
    this.written.set(user, { pair, at: now, active: true });
  }
  recordClear(user: string, now: number): void {
    const w = this.written.get(user);
    if (w !== undefined) this.written.set(user, { ...w, active: false, clearedAt: now });
  }
  /** The hub's active write for the user, if any. */
  activeWrite(user: string): GraphPair | undefined {
    const w = this.written.get(user);
    return w?.active === true ? w.pair : undefined;
  }
  /** The last reading that was taken as the user's own state. */
  lastReal(user: string): GraphPair | undefined {
    return this.real.get(user);
  }

  /** 'echo': the hub's own write seen again; 'real': an independent observation (remembered). */
  classify(user: string, pair: GraphPair, now: number): 'echo' | 'real' {
    const w = this.written.get(user);
    if (w !== undefined && samePair(w.pair, pair)) {
      if (w.active) return 'echo';
      if (w.clearedAt !== undefined && now - w.clearedAt < this.settleMs) return 'echo';
    }
    this.real.set(user, pair);
    return 'real';
  }
}
