import { z } from 'zod';
import type { ConnectorStore, HealthReporter } from '../../core/connector/contract.ts';
import { HubError, errorMessage } from '../../core/errors.ts';
import type { Logger } from '../../core/util/logger.ts';
import type { LoopGuard, WriteRecord } from './loop-guard.ts';

/** Users per store call at load. */
const LOAD_CHUNK = 1000;

const pairSchema = z.strictObject({ a: z.string().max(64), ac: z.string().max(64) });
/** One user's saved record: `w` what the hub wrote (on = still active), `r` the last real reading. */
const recordSchema = z.strictObject({
  w: pairSchema.extend({ at: z.number(), on: z.boolean(), k: z.enum(['s', 'p']), c: z.number().optional() }).optional(),
  r: pairSchema.optional(),
});
type Saved = z.infer<typeof recordSchema>;

const keyOf = (user: string): string => `guard:${user}`;

/**
 * Keeps the loop guard's record in the connector's shared state (ConnectorContext.state; a Redis
 * hash in Redis mode). The connector runs on one node at a time under a lease; without this, a node
 * taking it over would not know that the hub's app session still shows e.g. Busy/InACall, would
 * read that Busy as the user's own, and its publisher would write it again: a ghost presence that
 * never ends (docs/architecture.md invariant 4). Saved write-through after every Teams write or clear and
 * after a new real reading; a failed save is retried with the next one.
 */
export class GuardState {
  private saving: Promise<void> = Promise.resolve();
  constructor(
    private readonly o: {
      guard: LoopGuard;
      store: ConnectorStore;
      log: Logger;
      report: HealthReporter;
      /** How long a write stays in Teams without a refresh (setPresence / preferred expirationDuration). */
      lifetime: Record<WriteRecord['kind'], number>;
    },
  ) {}

  /**
   * Loads the records of `users` into the guard. A write older than its lifetime has expired in
   * Teams: it is loaded as cleared then. Rejects (transient) when the store is unreachable: the
   * connector must not run without knowing what the hub's sessions show.
   */
  async load(users: readonly string[], now: number): Promise<number> {
    let loaded = 0;
    for (let i = 0; i < users.length; i += LOAD_CHUNK) {
      const chunk = users.slice(i, i + LOAD_CHUNK);
      let got: Map<string, string>;
      try {
        got = await this.o.store.get(chunk.map(keyOf));
      } catch (e) {
        throw new HubError('HUB_ERR_UNAVAILABLE', `cannot read the connector state (loop guard): ${errorMessage(e)}`, { kind: 'transient', cause: e });
      }
      for (const user of chunk) {
        const raw = got.get(keyOf(user));
        // A change made on this node and not saved yet is newer than the store.
        if (raw === undefined || this.o.guard.isDirty(user)) continue;
        const saved = parse(raw);
        if (saved === undefined) {
          this.o.report.count('state_invalid');
          continue;
        }
        this.o.guard.restore(user, fromSaved(saved, now, this.o.lifetime));
        loaded++;
      }
    }
    return loaded;
  }

  /** Saves what changed; never rejects (a failure is reported and retried by the next save). */
  save(): Promise<void> {
    this.saving = this.saving.then(() => this.saveNow());
    return this.saving;
  }

  private async saveNow(): Promise<void> {
    const dirty = this.o.guard.takeDirty();
    if (dirty.length === 0) return;
    const entries: [string, string][] = dirty.map((d) => [keyOf(d.user), JSON.stringify(toSaved(d.written, d.real))]);
    try {
      await this.o.store.set(entries);
    } catch (e) {
      this.o.guard.markDirty(dirty.map((d) => d.user));
      this.o.log.warn(`saving the loop guard state failed, retried with the next write: ${errorMessage(e)}`);
      this.o.report.count('state_save_failed');
    }
  }
}

function parse(raw: string): Saved | undefined {
  try {
    const r = recordSchema.safeParse(JSON.parse(raw));
    return r.success ? r.data : undefined;
  } catch {
    return undefined;
  }
}

function toSaved(w: WriteRecord | undefined, r: { availability: string; activity: string } | undefined): Saved {
  return {
    ...(w !== undefined ? { w: { a: w.pair.availability, ac: w.pair.activity, at: w.at, on: w.active, k: w.kind === 'session' ? 's' : 'p', ...(w.clearedAt !== undefined ? { c: w.clearedAt } : {}) } } : {}),
    ...(r !== undefined ? { r: { a: r.availability, ac: r.activity } } : {}),
  } as Saved;
}

function fromSaved(s: Saved, now: number, lifetime: Record<WriteRecord['kind'], number>): { written?: WriteRecord; real?: { availability: string; activity: string } } {
  let written: WriteRecord | undefined;
  if (s.w !== undefined) {
    const kind = s.w.k === 's' ? 'session' : 'preferred';
    const pair = { availability: s.w.a, activity: s.w.ac };
    const expiresAt = s.w.at + lifetime[kind];
    written =
      s.w.on && now >= expiresAt
        ? { pair, at: s.w.at, active: false, kind, clearedAt: expiresAt }
        : { pair, at: s.w.at, active: s.w.on, kind, ...(s.w.c !== undefined ? { clearedAt: s.w.c } : {}) };
  }
  return { ...(written !== undefined ? { written } : {}), ...(s.r !== undefined ? { real: { availability: s.r.a, activity: s.r.ac } } : {}) };
}
