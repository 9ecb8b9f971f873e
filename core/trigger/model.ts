/**
 * What a trigger is (docs/triggers.md): its definition, the status the API shows, a firing, and the
 * shapes stored for them in the triggers' shared store (registry.ts). No behaviour beyond the
 * pure mappings between them.
 */
import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { AVAILABILITY_CLASSES, type AvailabilityClass } from '../model/availability.ts';

export interface TriggerDef {
  readonly id: string;
  readonly origin: 'config' | 'api';
  readonly people?: readonly string[];
  readonly team?: string;
  readonly atLeast: number;
  readonly classes: readonly AvailabilityClass[];
  readonly hysteresis: number;
  readonly action: { readonly type: 'webhook'; readonly url: string } | { readonly type: 'sse' };
  /** The API key that created it when a watcher did: only it (and admins) list, stream and delete it. */
  readonly owner?: string;
  /** A watcher's trigger sees as this person (undefined: as nobody, the public container). */
  readonly watcher?: string;
  readonly watcherOwned: boolean;
  readonly createdAt: number;
  readonly expiresAt?: number;
}

/** What GET /v1/triggers shows of a trigger. */
export interface TriggerStatus {
  readonly id: string;
  readonly origin: 'config' | 'api';
  readonly people?: string[];
  readonly team?: string;
  readonly atLeast: number;
  readonly classes: AvailabilityClass[];
  /** Seconds. */
  readonly hysteresis: number;
  readonly action: { type: 'webhook'; url: string } | { type: 'sse' };
  readonly owner?: string;
  readonly createdAt: string;
  readonly expiresAt?: string;
  /** Whether the condition held at the last evaluation. */
  readonly met: boolean;
  readonly fired: number;
  readonly lastFiredAt?: string;
  readonly delivered: number;
  readonly failures: number;
  readonly lastError?: string;
}

/** One firing: the webhook body's fields and the SSE event's data. */
export interface Firing {
  readonly trigger: string;
  /**
   * Unique per firing and stable: derived from the trigger's episode and `seq` (firingId), so a
   * firing delivered again (a node died before recording the delivery) or recorded by two nodes
   * at once carries the same id; the receiver drops a repeat it already saw.
   */
  readonly firing: string;
  readonly at: string;
  /** Who counted towards the condition at that moment (as the trigger's owner sees them). */
  readonly people: string[];
  /** The firing's number for this trigger (1, 2, ...): the SSE event id. */
  readonly seq: number;
}

export const defSchema = z.object({
  id: z.string(),
  people: z.array(z.string()).optional(),
  team: z.string().optional(),
  atLeast: z.number(),
  classes: z.array(z.enum(AVAILABILITY_CLASSES)),
  hysteresis: z.number(),
  action: z.union([z.object({ type: z.literal('webhook'), url: z.string() }), z.object({ type: z.literal('sse') })]),
  owner: z.string().optional(),
  watcher: z.string().optional(),
  watcherOwned: z.boolean(),
  createdAt: z.number(),
  expiresAt: z.number().optional(),
  secret: z.string().optional(),
});
/**
 * `epoch`: random, made when the count of firings starts (a new trigger, a changed condition), so
 * that firing ids (firingId) never repeat across a trigger deleted and made again under its id.
 * Absent in states stored before it existed: the trigger id and fingerprint stand in. A trigger
 * with no stored state yet keeps the epoch of the first state stored (registry.ts claim, set-if-absent).
 */
export const stateSchema = z.object({ met: z.boolean(), falseSince: z.number().optional(), fp: z.string(), fired: z.number(), lastFiredAt: z.number().optional(), epoch: z.string().optional() });
export const statusSchema = z.object({ delivered: z.number(), failures: z.number(), lastError: z.string().optional() });
export const firingSchema = z.object({ trigger: z.string(), firing: z.string(), at: z.string(), people: z.array(z.string()), seq: z.number() });
export type StoredState = z.infer<typeof stateSchema>;
export type StoredStatus = z.infer<typeof statusSchema>;

/** A trigger as a node holds it: definition, secret, condition state and delivery status. */
export interface Live {
  def: TriggerDef;
  secret?: string;
  state: StoredState;
  /** No state was stored for it yet (a configured trigger's first start). */
  fresh: boolean;
  status: StoredStatus;
  /** The trigger's last firings, oldest first, at most TRIGGER_BACKLOG (the stored `log:`). */
  recent: Firing[];
}

/** Firings kept per trigger for streams that reconnect with Last-Event-ID (docs/triggers.md "SSE"). */
export const TRIGGER_BACKLOG = 20;

/**
 * What a stream sends instead of firings it cannot replay (docs/triggers.md "SSE"): firings of
 * `trigger` after number `after` (null: the stream's Last-Event-ID cannot say which trigger it
 * belongs to) may have been missed; `fired` and `lastFiredAt` are the trigger's count now (absent
 * when it could not be read). The client re-reads GET /v1/triggers/{id}.
 */
export interface FiringGap {
  readonly trigger: string;
  readonly after: number | null;
  readonly fired?: number;
  readonly lastFiredAt?: string;
}

export const NEW_STATUS: StoredStatus = { delivered: 0, failures: 0 };

/** Changes when what decides the condition changes: stored state of another condition is not reused. */
export function fingerprint(d: TriggerDef): string {
  return createHash('sha256')
    .update(JSON.stringify([d.people ?? null, d.team ?? null, d.atLeast, d.classes, d.watcher ?? null, d.watcherOwned]))
    .digest('base64url')
    .slice(0, 16);
}

/** A stored state that starts counting firings again (fired 0, a new epoch). */
export function freshState(d: TriggerDef, met: boolean): StoredState {
  return { met, fp: fingerprint(d), fired: 0, epoch: randomUUID() };
}

/**
 * The id of firing `seq` of a trigger in state `s`: a UUID-shaped digest of the state's epoch and
 * the firing's number. Every node computes the same id for the same firing, so the outbox holds
 * one entry per firing (two nodes evaluating at once during a lease handover record the same
 * key) and a repeated delivery carries the id of the first.
 */
export function firingId(id: string, s: Pick<StoredState, 'epoch' | 'fp'>, seq: number): string {
  const h = createHash('sha256').update(`${s.epoch ?? `${id}/${s.fp}`}:${seq}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-8${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** What GET /v1/triggers shows of a trigger. */
export function statusOf(t: Live): TriggerStatus {
  const d = t.def;
  const s: { -readonly [K in keyof TriggerStatus]: TriggerStatus[K] } = {
    id: d.id,
    origin: d.origin,
    atLeast: d.atLeast,
    classes: [...d.classes],
    hysteresis: d.hysteresis / 1000,
    action: d.action.type === 'webhook' ? { type: 'webhook', url: d.action.url } : { type: 'sse' },
    createdAt: new Date(d.createdAt).toISOString(),
    met: t.state.met,
    fired: t.state.fired,
    delivered: t.status.delivered,
    failures: t.status.failures,
  };
  if (d.people !== undefined) s.people = [...d.people];
  if (d.team !== undefined) s.team = d.team;
  if (d.owner !== undefined) s.owner = d.owner;
  if (d.expiresAt !== undefined) s.expiresAt = new Date(d.expiresAt).toISOString();
  if (t.state.lastFiredAt !== undefined) s.lastFiredAt = new Date(t.state.lastFiredAt).toISOString();
  if (t.status.lastError !== undefined) s.lastError = t.status.lastError;
  return s;
}

/** Who calls: an admin (every trigger) or a watcher key (its own). */
export interface Caller {
  readonly admin: boolean;
  readonly key: string;
  readonly person?: string;
}

export function mayUse(d: TriggerDef, c: Caller): boolean {
  return c.admin || (d.owner !== undefined && d.owner === c.key);
}
