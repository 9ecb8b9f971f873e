import { createHash } from 'node:crypto';

/**
 * Loop guard (docs/architecture.md invariant 4): the tuple and person ids the hub publishes are derived from
 * the connector id and the presentity, so they are stable across restarts and recognisable in the
 * NOTIFYs a presence server composes from every publisher (RFC 3903 section 4, composition).
 * What the hub wrote never counts as an independent signal when it comes back.
 */
export class LoopGuard {
  private readonly own = new Set<string>();
  constructor(private readonly instance: string) {}

  idsFor(aor: string): { tupleId: string; personId: string } {
    const h = createHash('sha256').update(`${this.instance}\u0000${aor.toLowerCase()}`).digest('hex').slice(0, 12);
    const ids = { tupleId: `hub-t-${h}`, personId: `hub-p-${h}` };
    this.own.add(ids.tupleId);
    this.own.add(ids.personId);
    return ids;
  }

  /** Whether an element id is one of ours (also the ids of a previous run: same derivation). */
  isOwn(id: string | undefined): boolean {
    return id !== undefined && (this.own.has(id) || /^hub-[tp]-[0-9a-f]{12}$/.test(id));
  }
}
