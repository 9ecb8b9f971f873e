import type { Presence } from '../model/presence.ts';
import type { ApplyOutcome, Register } from '../model/register.ts';
import type { Signal } from '../model/signal.ts';
import type { BatchInfo, Pipeline, PresenceDraft } from '../pipeline/ports.ts';
import { aggregate, judge, type Decision, type Judgement } from '../rules/aggregate.ts';
import type { Rules } from '../rules/rules-config.ts';
import type { Logger } from '../util/logger.ts';

export interface ManagerMetrics {
  applied(outcome: 'applied' | 'stale' | 'duplicate', n: number): void;
  aggregationSeconds(s: number): void;
  changes(n: number): void;
}


export type SignalListener = (items: readonly { signal: Signal; outcome: ApplyOutcome }[]) => void;

export function draftOf(person: string, j: Decision): PresenceDraft {
  const d: { -readonly [K in keyof PresenceDraft]: PresenceDraft[K] } = {
    person,
    availability: j.availability,
    class: j.class,
    activity: j.activity,
  };
  if (j.machineState !== undefined) d.machineState = j.machineState;
  if (j.lastActive !== undefined) d.lastActive = j.lastActive;
  if (j.decidedBy !== undefined) d.decidedBy = j.decidedBy;
  if (j.decidedCategory !== undefined) d.decidedCategory = j.decidedCategory;
  return d;
}

/**
 * The Presence Manager: applies signals to registers (stamped by the store), recomputes only the
 * people touched, once per person per batch, commits with a compare-and-set on the register
 * revision, publishes view-relevant changes, and schedules each person's next time boundary.
 */
export class PresenceManager {
  private readonly rules: Rules;
  private readonly signalListeners = new Set<SignalListener>();
  private readonly changeListeners = new Set<(changes: readonly Presence[]) => void>();

  constructor(
    private readonly deps: { pipeline: Pipeline; rules: Rules; log: Logger; metrics?: ManagerMetrics },
  ) {
    this.rules = deps.rules;
  }

  start(): void {
    this.deps.pipeline.queue.process((batch, info) => this.handleBatch(batch, info));
    this.deps.pipeline.boundaries.start(async (people) => {
      await this.recompute(people);
    });
  }

  /** Watch every signal this node's workers apply to the store, with its outcome (the admin timeline). */
  onSignals(listener: SignalListener): () => void {
    this.signalListeners.add(listener);
    return () => this.signalListeners.delete(listener);
  }

  /** Watch the changes this node's workers commit (each change is seen by exactly one node), as soon as they are committed and sent to the bus. */
  onChanges(listener: (changes: readonly Presence[]) => void): () => void {
    this.changeListeners.add(listener);
    return () => this.changeListeners.delete(listener);
  }

  async handleBatch(batch: readonly Signal[], info?: BatchInfo): Promise<void> {
    const { store } = this.deps.pipeline;
    const results = await store.applySignals(batch);
    const touched = new Set<string>();
    let applied = 0;
    let stale = 0;
    let duplicate = 0;
    results.forEach((r, i) => {
      // A redelivered batch may have been applied by a worker that died before committing: its
      // signals now come back duplicate, and only a recomputation brings the presence up to date.
      if (info?.redelivered === true) touched.add(batch[i]!.person);
      if (r.outcome === 'applied') {
        applied++;
        touched.add(batch[i]!.person);
      } else if (r.outcome === 'stale') stale++;
      else duplicate++;
    });
    if (this.signalListeners.size > 0) {
      const items = results.map((r, i) => ({ signal: batch[i]!, outcome: r.outcome }));
      for (const l of this.signalListeners) {
        try {
          l(items);
        } catch (e) {
          this.deps.log.error({ err: e }, 'signal listener failed');
        }
      }
    }
    this.deps.metrics?.applied('applied', applied);
    this.deps.metrics?.applied('stale', stale);
    this.deps.metrics?.applied('duplicate', duplicate);
    if (touched.size > 0) await this.recompute([...touched]);
  }

  /** Re-evaluates people now (after new registers, or at a time boundary). */
  async recompute(people: readonly string[]): Promise<Presence[]> {
    const { store, bus, boundaries } = this.deps.pipeline;
    // Independent reads, sent together (one round trip in Redis mode, not two).
    const [now, regs] = await Promise.all([store.now(), store.getRegisters(people)]);
    const t0 = performance.now();
    const entries = [];
    const next: { person: string; at: number | undefined }[] = [];
    for (const person of people) {
      const pr = regs.get(person) ?? { rev: 0, registers: [] };
      // The judgement alone: the explanation is built only for explain() below.
      const j = judge(pr.registers, now, this.rules);
      const draft = draftOf(person, j);
      // No fingerprint: the store makes it if it needs it (Redis), or compares fields (in-process).
      entries.push({ draft, basis: { rev: pr.rev, at: now } });
      next.push({ person, at: j.nextBoundary });
    }
    this.deps.metrics?.aggregationSeconds((performance.now() - t0) / 1000);
    const committed = await store.commitPresence(entries);
    const changes: Presence[] = [];
    const schedule: { person: string; at: number | undefined }[] = [];
    committed.forEach((c, i) => {
      if (!c.accepted) return; // a newer evaluation already won; it scheduled its own boundary
      schedule.push(next[i]!);
      if (c.changed && c.presence !== undefined) changes.push(c.presence);
    });
    // The changes are committed: publishing them does not wait for the boundaries to be written
    // (both go out together). If scheduling fails the batch runs again, finds nothing changed to
    // publish, and schedules.
    const scheduled = boundaries.schedule(schedule);
    if (changes.length > 0) {
      this.deps.metrics?.changes(changes.length);
      // Sent to every node now; the bus delivers them to this node's listeners at once, not one
      // round trip later (core/pipeline/redis/bus.ts).
      const published = bus.publish(changes);
      for (const l of this.changeListeners) {
        try {
          l(changes);
        } catch (e) {
          this.deps.log.error({ err: e }, 'change listener failed');
        }
      }
      await Promise.all([scheduled, published]);
    } else await scheduled;
    return changes;
  }

  /** The judgement of one person now, with the explanation (admin). */
  async explain(person: string): Promise<{ now: number; registers: readonly Register[]; judgement: Judgement; rules: Rules }> {
    const { store } = this.deps.pipeline;
    const now = await store.now();
    const pr = (await store.getRegisters([person])).get(person) ?? { rev: 0, registers: [] };
    return { now, registers: pr.registers, judgement: aggregate(pr.registers, now, this.rules), rules: this.rules };
  }
}
