import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { ConnectorStore } from './connector/contract.ts';
import { errorMessage } from './errors.ts';
import type { Clock } from './util/clock.ts';
import type { Logger } from './util/logger.ts';

/** What an administrator did through the API that the audit list records. */
export const AUDIT_ACTIONS = ['connector.enable', 'connector.disable', 'connector.test', 'webhook.create', 'webhook.delete', 'dead-letter.replay', 'trigger.create', 'trigger.delete'] as const;
export type AuditAction = (typeof AUDIT_ACTIONS)[number];

/** The newest entries kept; older ones are removed as new ones arrive. */
export const AUDIT_MAX = 500;

export interface AuditEntry {
  readonly at: number;
  /** The key's name and roles as configured: never the key itself. */
  readonly by: { readonly name: string; readonly roles: readonly string[] };
  readonly action: AuditAction;
  /** What it was done to: a connector id, a webhook id, a dead letter id, a trigger id. */
  readonly target: string;
  /** For a connection test: whether it worked. */
  readonly outcome?: 'ok' | 'failed';
  /** A short, secret-free note (a test's error code, a webhook's URL). */
  readonly detail?: string;
}

const entrySchema = z.object({
  at: z.number(),
  by: z.object({ name: z.string(), roles: z.array(z.string()) }),
  action: z.enum(AUDIT_ACTIONS),
  target: z.string(),
  outcome: z.enum(['ok', 'failed']).optional(),
  detail: z.string().optional(),
});

/**
 * Who disabled, enabled or tested which connector, created or deleted which webhook, replayed which
 * dead letter, and when. Kept in a store of the pipeline (`hub:audit`): shared by every node and
 * kept across restarts in Redis mode (or with `dataDir`), in memory otherwise; bounded to the
 * newest AUDIT_MAX entries. Each entry is its own key (time first, so keys sort by time), so two
 * nodes writing at once never overwrite each other.
 */
export class AuditLog {
  constructor(private readonly deps: { store: ConnectorStore; clock: Clock; log: Logger; max?: number }) {}

  /** Stores an entry; a store that cannot take it now is logged, and the action stands. */
  async record(e: Omit<AuditEntry, 'at'>): Promise<void> {
    const entry: AuditEntry = { at: this.deps.clock.now(), ...e, by: { name: e.by.name, roles: [...e.by.roles] } };
    const key = `${String(entry.at).padStart(15, '0')}:${randomBytes(4).toString('hex')}`;
    try {
      await this.deps.store.set([[key, JSON.stringify(entry)]]);
      const keys = [...(await this.deps.store.entries('')).keys()].sort();
      const over = keys.length - (this.deps.max ?? AUDIT_MAX);
      if (over > 0) await this.deps.store.delete(keys.slice(0, over));
    } catch (err) {
      this.deps.log.error({ err: errorMessage(err), action: e.action, target: e.target, by: e.by.name }, 'audit entry not stored');
    }
  }

  /** The newest entries first, at most `limit`. */
  async list(limit = AUDIT_MAX): Promise<AuditEntry[]> {
    const all = await this.deps.store.entries('');
    const out: AuditEntry[] = [];
    for (const key of [...all.keys()].sort().reverse()) {
      if (out.length >= limit) break;
      try {
        const r = entrySchema.safeParse(JSON.parse(all.get(key)!));
        if (r.success) out.push(r.data as AuditEntry);
      } catch {
        // An unreadable entry is skipped: the list is informative.
      }
    }
    return out;
  }
}
