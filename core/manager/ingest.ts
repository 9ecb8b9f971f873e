import type { z } from 'zod';
import type { Directory } from '../directory/directory.ts';
import {
  DEFAULT_EXPIRE_TYPE,
  availabilityNumber,
  normalizeActivity,
  signalInputSchema,
  type Signal,
  type SignalInput,
} from '../model/signal.ts';
import type { SignalQueue } from '../pipeline/ports.ts';
import { effectiveAvailability, type Rules } from '../rules/rules-config.ts';
import { HubError } from '../util/errors.ts';

export interface Refusal {
  readonly index: number;
  readonly code: 'HUB_ERR_SIGNAL_INVALID' | 'HUB_ERR_UNKNOWN_PERSON';
  readonly field: string;
  readonly detail: string;
}

export interface IngestReport {
  unknown(source: string, subject: string): void;
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
    },
  ) {}

  /** Validates and resolves without queueing: refusals name the offending field. */
  prepare(items: readonly unknown[], opts: { single?: boolean } = {}): { signals: Signal[]; refusals: Refusal[] } {
    const signals: Signal[] = [];
    const refusals: Refusal[] = [];
    const dir = this.deps.directory();
    const rules = this.deps.rules();
    const now = this.deps.clock.now();
    items.forEach((item, index) => {
      const at = opts.single ? undefined : index;
      // A single signal's fields are named plainly, a batch item's with its index: `[2].person`.
      const field = (name: string): string => (opts.single ? name : `[${index}].${name}`);
      const parsed = signalInputSchema.safeParse(item);
      if (!parsed.success) {
        const issue = parsed.error.issues[0]!;
        refusals.push({ index, code: 'HUB_ERR_SIGNAL_INVALID', field: issuePath(at, issue), detail: `${issuePath(at, issue)}: ${issue.message}` });
        return;
      }
      const s: SignalInput = parsed.data;
      let person: string | undefined;
      if (s.person !== undefined) {
        person = dir.has(s.person) ? s.person : undefined;
        if (person === undefined) {
          this.deps.report?.unknown(s.source, `person ${s.person}`);
          const f = field('person');
          refusals.push({ index, code: 'HUB_ERR_UNKNOWN_PERSON', field: f, detail: `${f}: unknown person ${s.person}` });
          return;
        }
        if (s.identity !== undefined && dir.resolve(s.identity) !== person) {
          const f = field('identity');
          refusals.push({ index, code: 'HUB_ERR_UNKNOWN_PERSON', field: f, detail: `${f}: identity ${s.identity} does not belong to person ${s.person}` });
          return;
        }
      } else {
        person = dir.resolve(s.identity!);
        if (person === undefined) {
          this.deps.report?.unknown(s.source, `identity ${s.identity}`);
          const f = field('identity');
          refusals.push({ index, code: 'HUB_ERR_UNKNOWN_PERSON', field: f, detail: `${f}: unknown identity ${s.identity}` });
          return;
        }
      }
      const sig = normalize(s, person, now);
      if (sig.category !== 'machine' && effectiveAvailability(sig, rules) === undefined) {
        const f = field('availability');
        refusals.push({
          index,
          code: 'HUB_ERR_SIGNAL_INVALID',
          field: f,
          detail: `${f}: required for category ${sig.category} unless the activity has a configured availability`,
        });
        return;
      }
      signals.push(sig);
    });
    return { signals, refusals };
  }

  /** Validates a batch and queues it whole, or refuses it whole. Resolves once durably queued. */
  async submit(items: readonly unknown[], opts: { single?: boolean } = {}): Promise<{ accepted: number }> {
    const { signals, refusals } = this.prepare(items, opts);
    if (refusals.length > 0) {
      const first = refusals[0]!;
      throw new HubError(first.code, first.detail, { status: first.code === 'HUB_ERR_UNKNOWN_PERSON' ? 422 : 400 });
    }
    if (signals.length > 0) await this.deps.queue.enqueue(signals);
    return { accepted: signals.length };
  }

  /** For collectors: queues the valid signals, returns the refused ones with their reasons. */
  async submitPartial(items: readonly unknown[]): Promise<{ accepted: number; refused: Refusal[] }> {
    const { signals, refusals } = this.prepare(items);
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
  return Object.freeze(out);
}
