import type { z } from 'zod';
import { sharedBy, type Directory } from '../directory/directory.ts';
import {
  DEFAULT_EXPIRE_TYPE,
  availabilityNumber,
  certainSignalInput,
  normalizeActivity,
  signalInputSchema,
  type Signal,
  type SignalInput,
} from '../model/signal.ts';
import type { SignalQueue } from '../pipeline/ports.ts';
import { effectiveAvailability, type Rules } from '../rules/rules-config.ts';
import { HubError } from '../errors.ts';
import { overCap, type CensusReader, type KnownRegisters } from './register-cap.ts';

export interface Refusal {
  readonly index: number;
  readonly code: 'HUB_ERR_SIGNAL_INVALID' | 'HUB_ERR_UNKNOWN_PERSON' | 'HUB_ERR_IDENTITY_CONFLICT' | 'HUB_ERR_TOO_MANY_REGISTERS';
  readonly field: string;
  readonly detail: string;
}

export interface IngestReport {
  /** A signal for someone the directory cannot place; `reason` says why when it is not "unknown". */
  unknown(source: string, subject: string, reason?: string): void;
}

/**
 * A single signal's fields are named plainly, a batch item's with its index: `[2].person`. A
 * function of its own, not a closure per item: the loader names every closure it creates
 * (keepNames), which cost more than the rest of an item's resolution.
 */
function fieldName(single: boolean | undefined, index: number, name: string): string {
  return single === true ? name : `[${index}].${name}`;
}

function issuePath(index: number | undefined, issue: z.core.$ZodIssue): string {
  const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('');
  return index === undefined ? path.replace(/^\./, '') || '(body)' : `[${index}]${path}`;
}

/**
 * The edge of the pipeline: validates signals against the public schema, resolves identities
 * through the directory, normalizes, and enqueues. All or nothing: one bad item refuses the batch.
 */
export class Ingest {
  constructor(
    private readonly deps: {
      queue: SignalQueue;
      directory: () => Directory;
      rules: () => Rules;
      clock: { now(): number };
      report?: IngestReport;
      /** The registers-per-person cap and the store's census for it (register-cap.ts). */
      registerCap?: { max: () => number; census: CensusReader; known?: KnownRegisters };
    },
  ) {}

  /** Validates and resolves without queueing: refusals name the offending field. */
  prepare(items: readonly unknown[], opts: { single?: boolean } = {}): { signals: Signal[]; refusals: Refusal[]; indices: number[] } {
    const signals: Signal[] = [];
    const indices: number[] = [];
    const refusals: Refusal[] = [];
    const dir = this.deps.directory();
    const rules = this.deps.rules();
    const now = this.deps.clock.now();
    items.forEach((item, index) => {
      const at = opts.single ? undefined : index;
      let s: SignalInput | undefined = certainSignalInput(item);
      if (s === undefined) {
        const parsed = signalInputSchema.safeParse(item);
        if (!parsed.success) {
          const issue = parsed.error.issues[0]!;
          refusals.push({ index, code: 'HUB_ERR_SIGNAL_INVALID', field: issuePath(at, issue), detail: `${issuePath(at, issue)}: ${issue.message}` });
          return;
        }
        s = parsed.data;
      }
      let person: string | undefined;
      if (s.person !== undefined) {
        person = dir.has(s.person) ? s.person : undefined;
        if (person === undefined) {
          this.deps.report?.unknown(s.source, `person ${s.person}`);
          const f = fieldName(opts.single, index, 'person');
          refusals.push({ index, code: 'HUB_ERR_UNKNOWN_PERSON', field: f, detail: `${f}: unknown person ${s.person}` });
          return;
        }
        const found = s.identity === undefined ? undefined : dir.lookup(s.identity);
        if (s.identity !== undefined && (found === undefined || !('person' in found) || found.person !== person)) {
          const f = fieldName(opts.single, index, 'identity');
          // A conflict is named as one: "does not belong" would send the operator looking for the wrong fix.
          const conflict = found !== undefined && 'conflict' in found;
          const why = conflict ? `${sharedBy(found.conflict.people)}; it resolves to nobody until the directory is fixed` : `does not belong to person ${s.person}`;
          refusals.push({ index, code: conflict ? 'HUB_ERR_IDENTITY_CONFLICT' : 'HUB_ERR_UNKNOWN_PERSON', field: f, detail: `${f}: identity ${s.identity} ${why}` });
          return;
        }
      } else {
        const found = dir.lookup(s.identity!);
        if (found === undefined || 'conflict' in found) {
          const f = fieldName(opts.single, index, 'identity');
          if (found === undefined) {
            this.deps.report?.unknown(s.source, `identity ${s.identity}`);
            refusals.push({ index, code: 'HUB_ERR_UNKNOWN_PERSON', field: f, detail: `${f}: unknown identity ${s.identity}` });
          } else {
            const why = `${sharedBy(found.conflict.people)}; it resolves to nobody until the directory is fixed`;
            this.deps.report?.unknown(s.source, `identity ${s.identity}`, why);
            refusals.push({ index, code: 'HUB_ERR_IDENTITY_CONFLICT', field: f, detail: `${f}: identity ${s.identity}: ${why}` });
          }
          return;
        }
        person = found.person;
      }
      const sig = normalize(s, person, now);
      if (sig.category !== 'machine' && effectiveAvailability(sig, rules) === undefined) {
        const f = fieldName(opts.single, index, 'availability');
        refusals.push({
          index,
          code: 'HUB_ERR_SIGNAL_INVALID',
          field: f,
          detail: `${f}: required for category ${sig.category} unless the activity has a configured availability`,
        });
        return;
      }
      signals.push(sig);
      indices.push(index);
    });
    return { signals, refusals, indices };
  }

  /** Refusals for signals that would pass the registers-per-person cap; the signals that may go. */
  private async capped(signals: Signal[], indices: number[], single: boolean): Promise<{ signals: Signal[]; refusals: Refusal[] }> {
    const cap = this.deps.registerCap;
    if (cap === undefined || signals.length === 0) return { signals, refusals: [] };
    const max = cap.max();
    let over;
    try {
      over = await overCap(signals, max, cap.census, cap.known);
    } catch (e) {
      // The store cannot be read: nothing can be queued durably either (the queue says the same).
      if (e instanceof HubError) throw e;
      throw new HubError('HUB_ERR_UNAVAILABLE', 'signals cannot be checked and queued now (store unavailable); nothing was accepted', { kind: 'transient', status: 503, retryAfterMs: 2000, cause: e });
    }
    if (over.length === 0) return { signals, refusals: [] };
    const refusals = over.map((o): Refusal => {
      const index = indices[o.at]!;
      const f = single ? 'endpoint' : `[${index}].endpoint`;
      this.deps.report?.unknown(o.source, `person ${o.person}`, `more than ${max} registers: signals for a new source, endpoint or category refused`);
      return { index, code: 'HUB_ERR_TOO_MANY_REGISTERS', field: f, detail: `${f}: person ${o.person} already has ${max} registers (limits.registersPerPerson); a new source, endpoint or category is refused` };
    });
    const skip = new Set(over.map((o) => o.at));
    return { signals: signals.filter((_, i) => !skip.has(i)), refusals };
  }

  /** Validates a batch and queues it whole, or refuses it whole. Resolves once durably queued. */
  async submit(items: readonly unknown[], opts: { single?: boolean } = {}): Promise<{ accepted: number }> {
    const prepared = this.prepare(items, opts);
    const { signals } = prepared;
    const refusals = prepared.refusals.length > 0 ? prepared.refusals : (await this.capped(signals, prepared.indices, opts.single === true)).refusals;
    if (refusals.length > 0) {
      const first = refusals[0]!;
      throw new HubError(first.code, first.detail, { status: first.code === 'HUB_ERR_SIGNAL_INVALID' ? 400 : 422 });
    }
    if (signals.length > 0) await this.deps.queue.enqueue(signals);
    return { accepted: signals.length };
  }

  /** For collectors: queues the valid signals, returns the refused ones with their reasons. */
  async submitPartial(items: readonly unknown[]): Promise<{ accepted: number; refused: Refusal[] }> {
    const prepared = this.prepare(items);
    const { signals, refusals: over } = await this.capped(prepared.signals, prepared.indices, false);
    const refusals = [...prepared.refusals, ...over].sort((a, b) => a.index - b.index);
    if (signals.length > 0) await this.deps.queue.enqueue(signals);
    return { accepted: signals.length, refused: refusals };
  }
}

export function normalize(s: SignalInput, person: string, receivedAt: number): Signal {
  const out: { -readonly [K in keyof Signal]: Signal[K] } = {
    person,
    source: s.source,
    endpoint: s.endpoint ?? 'default',
    category: s.category,
    expireType: s.expireType ?? DEFAULT_EXPIRE_TYPE[s.category],
    receivedAt,
  };
  const a = availabilityNumber(s.availability);
  if (a !== undefined) out.availability = a;
  const act = normalizeActivity(s.activity);
  if (act !== undefined) out.activity = act;
  if (s.machineState !== undefined) out.machineState = s.machineState;
  if (s.from !== undefined) out.from = Date.parse(s.from);
  if (s.until !== undefined) out.until = Date.parse(s.until);
  if (s.sourceTime !== undefined) out.sourceTime = Date.parse(s.sourceTime);
  if (s.sourceVersion !== undefined) out.sourceVersion = s.sourceVersion;
  if (s.id !== undefined) out.id = s.id;
  return Object.freeze(out);
}
