import type { ConnectorStore } from '../connector/contract.ts';
import type { Presence } from '../model/presence.ts';
import type { ApplyOutcome, Register } from '../model/register.ts';
import type { Signal } from '../model/signal.ts';

/**
 * The ports between the Presence Manager and its storage and queueing. Two implementations exist:
 * embedded (in-process, `embedded/`) and Redis/BullMQ. Both pass `test/contract/pipeline-contract.ts`.
 * Every call is batch-first: one call carries many people.
 */

export interface ApplyResult {
  readonly outcome: ApplyOutcome;
  /** The register as stored after the call (present for `applied`). */
  readonly register?: Register;
}

/** Registers of one person with the revision they were read at (bumped by every applied signal). */
export interface PersonRegisters {
  readonly rev: number;
  readonly registers: readonly Register[];
}

/**
 * What a presence was computed from: the register revision and the evaluation instant. A commit
 * with an older basis than the stored one is refused, so the stored presence converges to the
 * aggregation of the newest registers whatever the order in which workers finish (invariant 1).
 */
export interface Basis {
  readonly rev: number;
  readonly at: number;
}

/** A judged presence to commit: everything but `since` and `version`, which the store assigns. */
export type PresenceDraft = Omit<Presence, 'since' | 'version'>;

export interface CommitResult {
  /** False when a newer basis was already stored (nothing written). */
  readonly accepted: boolean;
  /** True when a view-relevant field changed: the version was bumped and `since` set. */
  readonly changed: boolean;
  readonly presence?: Presence;
}

export interface PresenceStore {
  /** The store's clock, epoch ms: the one clock of the cluster. */
  now(): Promise<number>;
  /**
   * Applies signals to registers in order. For each: the stale/duplicate check against the current
   * register and the publication stamp (store clock) happen in one atomic step.
   */
  applySignals(signals: readonly Signal[]): Promise<ApplyResult[]>;
  getRegisters(people: readonly string[]): Promise<Map<string, PersonRegisters>>;
  /**
   * For the registers-per-person cap (core/manager/register-cap.ts): each person's number of
   * registers, and their keys (registerKey) only when there are more than `keysAbove`, so that the
   * usual check costs a count, not a read of every register.
   */
  registerCensus(entries: readonly { person: string; keysAbove: number }[]): Promise<Map<string, { count: number; keys?: ReadonlySet<string> }>>;
  getPresence(people: readonly string[]): Promise<Map<string, Presence>>;
  /**
   * Compare-and-set per person on the basis; `fingerprint` is fingerprint(draft) (fingerprint.ts),
   * the view-relevant part of the draft, which the Redis store keeps instead of the draft and
   * rebuilds the draft from (draftOfFingerprint); absent, the store makes it when it needs it (the
   * in-process store compares the draft's fields instead, sameFingerprint). A person with nothing
   * stored compares as OFFLINE_FINGERPRINT: an offline draft for them is accepted as no change (no
   * version, nothing published).
   */
  commitPresence(entries: readonly { draft: PresenceDraft; basis: Basis; fingerprint?: string }[]): Promise<CommitResult[]>;
  /** Removes all registers and the presence of people no longer in the directory. */
  forget(people: readonly string[]): Promise<void>;
  close(): Promise<void>;
}

/** What the queue knows about a delivery. */
export interface BatchInfo {
  /**
   * True when (part of) this batch was handed out before: its handler threw, or its worker died.
   * Its signals may already be applied (they come back `duplicate`) without the presence having
   * been committed, so the consumer must recompute every person of the batch, not only the ones
   * whose signals applied now.
   */
  readonly redelivered: boolean;
}

/** A batch the queue gave up on (retry-policy.ts): kept, with its reason, until replayed. */
export interface DeadLetter {
  readonly id: string;
  /** `HUB_ERR_X (kind): message` of the last failure. */
  readonly reason: string;
  readonly code: string;
  readonly signals: number;
  readonly attempts: number;
  /** Epoch ms of the failure that dead-lettered it. */
  readonly failedAt: number;
  /** Epoch ms at which the batch was accepted. */
  readonly acceptedAt: number;
}

export interface QueueStats {
  /** Batches waiting, delayed for a retry, or in hand. */
  readonly depth: number;
  /** Age of the oldest batch waiting to be taken (ms), undefined when none waits. */
  readonly oldestWaitingMs: number | undefined;
  /** Batches waiting for a retry after a failure. */
  readonly retrying: number;
  readonly deadLetters: number;
}

export interface SignalQueue {
  /** Resolves only once the batch is durably queued (docs/architecture.md invariant 3). */
  enqueue(batch: readonly Signal[]): Promise<void>;
  /**
   * Starts consuming: `handler` gets batches. A batch whose handler throws is retried or
   * dead-lettered per retry-policy.ts; later batches never wait behind it.
   */
  process(handler: (batch: readonly Signal[], info?: BatchInfo) => Promise<void>): void;
  depth(): Promise<number>;
  stats(): Promise<QueueStats>;
  /** The dead letters, oldest first (at most `limit`). */
  deadLetters(limit?: number): Promise<DeadLetter[]>;
  /** Queues a dead letter again (as a redelivery); false when there is no such dead letter. */
  replay(id: string): Promise<boolean>;
  /** Stops taking new batches on this node (a clean stop); enqueue still works. */
  pause(): Promise<void>;
  /** Stops taking new batches and waits for the ones in hand. */
  close(): Promise<void>;
}

/** Time boundaries: at most one pending instant per person, replaced by every schedule. */
export interface BoundaryScheduler {
  schedule(entries: readonly { person: string; at: number | undefined }[]): Promise<void>;
  start(onDue: (people: readonly string[], at: number) => Promise<void>): void;
  close(): Promise<void>;
}

/** Presence changes to every node's watchers, in version order per person. */
export interface ChangeBus {
  publish(changes: readonly Presence[]): Promise<void>;
  subscribe(listener: (p: Presence) => void): () => void;
  /**
   * Called after `store.forget`: every node's bus drops what it remembers of these people (the
   * highest version seen), since their versions start again at 1, and tells its `onForget`
   * listeners (the hub's presence cache) to do the same.
   */
  forget(people: readonly string[]): Promise<void>;
  onForget(listener: (people: readonly string[]) => void): () => void;
  close(): Promise<void>;
}

/**
 * The recent history of each person (the admin's timeline): serialized entries (one line of JSON text each), newest first,
 * bounded per person by the implementation. Written by the node that applied a signal or
 * committed a change, so every entry is stored once whatever the number of nodes.
 */
export interface TimelineStore {
  append(entries: readonly { person: string; entry: string }[]): Promise<void>;
  read(person: string): Promise<string[]>;
}

/**
 * "Shared state changed" notices between the nodes of one hub: a node that writes shared state
 * (relationships, revocations, connector switches) publishes its topic, and every node (the
 * writer too) re-reads it. Delivered at most once; after a lost connection every listener is
 * called once, since notices sent meanwhile are gone.
 */
export interface Notices {
  publish(topic: string): Promise<void>;
  subscribe(topic: string, listener: () => void): () => void;
}

export interface Pipeline {
  readonly mode: 'embedded' | 'redis';
  readonly store: PresenceStore;
  readonly queue: SignalQueue;
  readonly boundaries: BoundaryScheduler;
  readonly bus: ChangeBus;
  /**
   * Durable state of one connector instance, shared by all nodes (ConnectorContext.state); the hub
   * keeps its own shared state here too (`hub:*` ids).
   */
  connectorStore?(connectorId: string): ConnectorStore;
  /** Notices between nodes (Redis pub/sub; in-process in embedded mode). */
  readonly notices?: Notices;
  /**
   * True when the connector stores outlive this process (Redis, or embedded with a `dataDir`);
   * false when they are memory only (the demo).
   */
  readonly durable?: boolean;
  /** Where the timeline of each person is kept. */
  readonly timeline?: TimelineStore;
  /** False while the backing store cannot accept writes (Redis down). */
  ready(): boolean;
  close(): Promise<void>;
}
