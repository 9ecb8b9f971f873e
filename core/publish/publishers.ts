import type { ConnectorStore, HealthReporter } from '../connector/contract.ts';
import type { ConnectorSupervisor } from '../connector/supervisor.ts';
import type { Presence } from '../model/presence.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import { Reconciler } from './reconciler.ts';
import type { PublishHandle, PublishingPort, PublishStats, PublishTarget } from './target.ts';

/** Where a connector's attached Reconciler is kept, for whoever hands changes to it. */
export interface ReconcilerSlot {
  get(): Reconciler<unknown> | undefined;
  set(r: Reconciler<unknown> | undefined): void;
}

/**
 * A connector's publishing port: attaching a target detaches the one attached before, starts a
 * Reconciler for it (made by `reconciler`) and hands back its handle; `slot` holds the attached one
 * until it is detached. The hub's Publishers and the connector test harness both use it.
 */
export function reconcilingPort(reconciler: <D>(target: PublishTarget<D>) => Reconciler<D>, slot: ReconcilerSlot): PublishingPort {
  return {
    attach: async <D>(target: PublishTarget<D>): Promise<PublishHandle<D>> => {
      await slot.get()?.detach();
      const r = reconciler(target);
      const handle: PublishHandle<D> = {
        resync: (reason) => r.resync(reason),
        replan: (people) => r.replan(people),
        mayShow: (person) => r.mayShow(person),
        mayHold: (person) => r.mayHold(person),
        stats: () => r.stats(),
        detach: async () => {
          if (slot.get() === (r as Reconciler<unknown>)) slot.set(undefined);
          await r.detach();
        },
      };
      slot.set(r as Reconciler<unknown>);
      await r.start();
      return handle;
    },
  };
}

/** Changes are gathered this long and handed to every publisher together (one batch, newest per person). */
const GATHER_MS = 50;

/**
 * The publishing side of the hub: every presence change goes to every publishing connector. A
 * connector that attached a target (ConnectorContext.publishing) is driven by its Reconciler; an
 * older one still gets `publish(changes)`, and after a lease takeover every person's presence once.
 */
export class Publishers {
  private readonly reconcilers = new Map<string, Reconciler<unknown>>();
  private readonly supervisors = new Map<string, ConnectorSupervisor>();
  private readonly gathered = new Map<string, Presence>();
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    private readonly deps: {
      clock: Clock;
      log: Logger;
      presence: (people: readonly string[]) => Promise<Presence[]>;
      /** Every person of the directory (the republish of publishers without a target). */
      people: () => readonly string[];
    },
  ) {}

  /** The port given to connector `id` in its context. */
  port(id: string, store: ConnectorStore, report: HealthReporter, log: Logger): PublishingPort {
    return reconcilingPort((target) => new Reconciler(target, { connector: id, store, clock: this.deps.clock, log, report, presence: this.deps.presence }), {
      get: () => this.reconcilers.get(id),
      set: (r) => void (r === undefined ? this.reconcilers.delete(id) : this.reconcilers.set(id, r)),
    });
  }

  /** A publishing connector the hub runs (enabled). */
  add(id: string, s: ConnectorSupervisor): void {
    if (s.manifest.capabilities.includes('publish')) this.supervisors.set(id, s);
  }
  remove(id: string): void {
    this.supervisors.delete(id);
  }

  stats(id: string): PublishStats | undefined {
    return this.reconcilers.get(id)?.stats();
  }

  /** A presence change seen on this node. */
  offer(p: Presence): void {
    if (this.closed) return;
    this.gathered.set(p.person, p);
    if (this.timer === undefined) {
      this.timer = setTimeout(() => void this.flush(), GATHER_MS);
      this.timer.unref?.();
    }
  }

  private async flush(): Promise<void> {
    this.timer = undefined;
    const changes = [...this.gathered.values()];
    this.gathered.clear();
    await Promise.all(
      [...this.supervisors].map(async ([id, s]) => {
        const r = this.reconcilers.get(id);
        if (r !== undefined) r.offer(changes);
        else await s.publish(changes);
      }),
    );
  }

  /**
   * A publisher without a target that has just taken its connector over from another node hears
   * every person's current presence once (a change made while no node held the lease is not lost).
   * A publisher with a target needs none of this: attaching reconciles from the durable record.
   */
  async takeover(id: string, s: ConnectorSupervisor): Promise<void> {
    if (this.reconcilers.has(id) || !s.manifest.capabilities.includes('publish') || s.health().state !== 'running') return;
    const ids = this.deps.people();
    for (let i = 0; i < ids.length; i += 1000) await s.publish(await this.deps.presence(ids.slice(i, i + 1000)));
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    await Promise.all([...this.reconcilers.values()].map((r) => r.detach()));
  }
}
