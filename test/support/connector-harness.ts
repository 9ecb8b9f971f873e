import { ConnectorSupervisor } from '../../core/connector/supervisor.ts';
import type { ConnectorContext, ConnectorManifest, ConnectorStore, EmitResult } from '../../core/connector/contract.ts';
import { Directory } from '../../core/directory/directory.ts';
import { personSchema, type Person } from '../../core/model/person.ts';
import { memoryConnectorStore } from '../../core/pipeline/embedded/connector-store.ts';
import { signalInputSchema, type SignalInput } from '../../core/model/signal.ts';
import { systemClock, type Clock } from '../../core/util/clock.ts';
import { silentLogger, type Logger } from '../../core/util/logger.ts';

/**
 * A connector context for connector tests: emitted signals are validated against the public signal
 * schema and resolved through a real Directory, then recorded; directory output is recorded too.
 */
export interface Harness<C> {
  readonly ctx: ConnectorContext<C>;
  readonly signals: SignalInput[];
  readonly refused: EmitResult['refused'][number][];
  readonly directory: { replaced: Person[][]; upserted: Person[]; removed: string[]; progress: [number, number | undefined][] };
  /** Resolves when `n` signals have been recorded in total. */
  waitForSignals(n: number, timeoutMs?: number): Promise<SignalInput[]>;
  supervisor(manifest: ConnectorManifest<C>): ConnectorSupervisor;
}

export function connectorHarness<C>(opts: {
  id: string;
  config: C;
  people?: Partial<Person>[];
  clock?: Clock;
  log?: Logger;
  /** The connector's durable state (ctx.state); default a fresh in-memory one. Share one to play two nodes. */
  state?: ConnectorStore;
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
  const ctx: ConnectorContext<C> = {
    id: opts.id,
    config: opts.config,
    log,
    clock,
    directory,
    state: opts.state ?? memoryConnectorStore(),
    async emit(batch) {
      let accepted = 0;
      const refusedNow: EmitResult['refused'][number][] = [];
      batch.forEach((s, index) => {
        const parsed = signalInputSchema.safeParse(s);
        if (!parsed.success) {
          refusedNow.push({ index, code: 'HUB_ERR_SIGNAL_INVALID', detail: parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ') });
          return;
        }
        const person = parsed.data.person ?? (parsed.data.identity !== undefined ? directory.resolve(parsed.data.identity) : undefined);
        if (person === undefined || (people.length > 0 && !directory.has(person))) {
          refusedNow.push({ index, code: 'HUB_ERR_UNKNOWN_PERSON', detail: `unknown ${parsed.data.person ?? parsed.data.identity}` });
          return;
        }
        signals.push({ ...parsed.data, person });
        accepted++;
      });
      refused.push(...refusedNow);
      for (const w of [...waiters]) if (signals.length >= w.n) w.resolve();
      return { accepted, refused: refusedNow };
    },
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
    report: {
      ok: () => sup?.reporter.ok(),
      error: (e) => sup?.reporter.error(e),
      count: (name, n) => sup?.reporter.count(name, n),
    },
  };
  return {
    ctx,
    signals,
    refused,
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
    supervisor(manifest) {
      sup = new ConnectorSupervisor(opts.id, manifest, manifest.create(ctx), { log, clock, backoff: { baseMs: 20, maxMs: 200 } });
      return sup;
    },
  };
}
