import { ConnectorSupervisor } from '../../core/connector/supervisor.ts';
import type { Connector, ConnectorContext, ConnectorManifest, ConnectorStore, EmitResult } from '../../core/connector/contract.ts';
import { Directory } from '../../core/directory/directory.ts';
import { personSchema, type Person } from '../../core/model/person.ts';
import { memoryConnectorStore } from '../../core/pipeline/embedded/connector-store.ts';
import { signalInputSchema, type Signal, type SignalInput } from '../../core/model/signal.ts';
import { Ingest } from '../../core/manager/ingest.ts';
import { offlinePresence, type Presence } from '../../core/model/presence.ts';
import { reconcilingPort } from '../../core/publish/publishers.ts';
import { Reconciler } from '../../core/publish/reconciler.ts';
import { compileRules, type RulesConfigInput } from '../../core/rules/rules-config.ts';
import { systemClock, type Clock } from '../../core/util/clock.ts';
import { silentLogger, type Logger } from '../../core/util/logger.ts';

/**
 * A connector context for connector tests: emitted signals go through the hub's real ingest
 * (validation, identity resolution through a real Directory, the availability rules) and the
 * accepted ones are recorded, refusals counted against the connector as the hub does; a publisher
 * attaches to the hub's real reconciliation (core/publish), fed by `publish()`.
 */
export interface Harness<C> {
  readonly ctx: ConnectorContext<C>;
  readonly signals: SignalInput[];
  readonly refused: EmitResult['refused'][number][];
  /** Every error the connector reported (ctx.report.error), in order; a supervisor, when there is one, gets them too. */
  readonly errors: unknown[];
  /** The signals as ingest normalized and queued them. */
  readonly queued: Signal[];
  /** Hands merged presence changes to the attached publish target and waits for the writes now due. */
  publish(changes: readonly Presence[]): Promise<void>;
  /** The reconciliation the connector attached (undefined before its start). */
  readonly reconciler: Reconciler<unknown> | undefined;
  readonly directory: { replaced: Person[][]; upserted: Person[]; removed: string[]; progress: [number, number | undefined][] };
  /** Resolves when `n` signals have been recorded in total. */
  waitForSignals(n: number, timeoutMs?: number): Promise<SignalInput[]>;
  /** A supervisor as the hub runs it, of `manifest.create(ctx)` or of the given connector (made from this `ctx`, for a test that drives it too). */
  supervisor(manifest: ConnectorManifest<C>, connector?: Connector): ConnectorSupervisor;
}

export function connectorHarness<C>(opts: {
  id: string;
  config: C;
  people?: Partial<Person>[];
  clock?: Clock;
  log?: Logger;
  /** The connector's durable state (ctx.state); default a fresh in-memory one. Share one to play two nodes. */
  state?: ConnectorStore;
  /** The availability rules ingest applies (default: the hub's defaults). */
  rules?: RulesConfigInput;
}): Harness<C> {
  const people = (opts.people ?? []).map((p) => personSchema.parse(p));
  const directory = new Directory(people, 0);
  const signals: SignalInput[] = [];
  const refused: EmitResult['refused'][number][] = [];
  const dir = { replaced: [] as Person[][], upserted: [] as Person[], removed: [] as string[], progress: [] as [number, number | undefined][] };
  const waiters: { n: number; resolve: () => void }[] = [];
  const log = opts.log ?? silentLogger();
  const clock = opts.clock ?? systemClock;
  let sup: ConnectorSupervisor | undefined;
  const queued: Signal[] = [];
  const rules = compileRules(opts.rules ?? {});
  const ingest = new Ingest({ queue: { enqueue: async (b: readonly Signal[]) => void queued.push(...b) } as never, directory: () => directory, rules: () => rules, clock });
  const presences = new Map<string, Presence>();
  const errors: unknown[] = [];
  let reconciler: Reconciler<unknown> | undefined;
  const report = {
    ok: () => sup?.reporter.ok(),
    error: (e: unknown) => {
      errors.push(e);
      sup?.reporter.error(e);
    },
    count: (name: string, n?: number) => sup?.reporter.count(name, n),
    retryAt: (at: number | undefined) => sup?.reporter.retryAt(at),
  };
  const state = opts.state ?? memoryConnectorStore();
  const ctx: ConnectorContext<C> = {
    id: opts.id,
    config: opts.config,
    log,
    clock,
    directory,
    state,
    async emit(batch) {
      const res = await ingest.submitPartial(batch);
      const gone = new Set(res.refused.map((r) => r.index));
      const refusedNow = res.refused.map((r) => ({ index: r.index, code: r.code, detail: r.detail }));
      batch.forEach((s, index) => {
        if (gone.has(index)) return;
        const parsed = signalInputSchema.parse(s);
        signals.push({ ...parsed, person: parsed.person ?? directory.resolve(parsed.identity!)! });
      });
      refused.push(...refusedNow);
      sup?.emitted(res.accepted, refusedNow);
      for (const w of [...waiters]) if (signals.length >= w.n) w.resolve();
      return { accepted: res.accepted, refused: refusedNow };
    },
    publishing: reconcilingPort((target) => new Reconciler(target, { connector: opts.id, store: state, clock, log, report, presence: async (ids) => ids.map((id) => presences.get(id) ?? offlinePresence(id, 0)) }), {
      get: () => reconciler,
      set: (r) => {
        reconciler = r;
      },
    }),
    directorySink: {
      async replaceAll(p) {
        dir.replaced.push([...p]);
      },
      async upsert(p, o) {
        dir.upserted.push(...p);
        dir.removed.push(...(o?.retire ?? []));
      },
      async remove(ids) {
        dir.removed.push(...ids);
      },
      progress(done, total) {
        dir.progress.push([done, total]);
        sup?.setProgress(done, total);
      },
    },
    report,
  };
  return {
    ctx,
    signals,
    refused,
    errors,
    queued,
    get reconciler() {
      return reconciler;
    },
    async publish(changes) {
      for (const p of changes) presences.set(p.person, p);
      reconciler?.offer(changes);
      await reconciler?.tick();
    },
    directory: dir,
    waitForSignals(n, timeoutMs = 10_000) {
      if (signals.length >= n) return Promise.resolve(signals);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${n} signals, have ${signals.length}`)), timeoutMs);
        waiters.push({
          n,
          resolve: () => {
            clearTimeout(t);
            resolve(signals);
          },
        });
      });
    },
    supervisor(manifest, connector) {
      sup = new ConnectorSupervisor(opts.id, manifest, connector ?? manifest.create(ctx), { log, clock, backoff: { baseMs: 20, maxMs: 200 }, publishStats: () => reconciler?.stats() });
      return sup;
    },
  };
}
