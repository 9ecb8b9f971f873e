import type { z } from 'zod';
import type { PhoneOptions } from '../directory/phone.ts';
import type { Person } from '../model/person.ts';
import type { Container, Presence } from '../model/presence.ts';
import type { PublishingPort, PublishStats } from '../publish/target.ts';
import type { SignalInput } from '../model/signal.ts';
import type { Clock } from '../util/clock.ts';
import type { Logger } from '../util/logger.ts';
import type { BackoffOptions } from './backoff.ts';

/**
 * The connector contract (docs/architecture.md "Connectors"). A connector kind is one folder under
 * `connectors/` exporting a manifest; `connectors/index.ts` lists the manifests by hand.
 */
export type Capability = 'collect' | 'publish' | 'directory';
export const CONNECTOR_STATES = ['stopped', 'starting', 'running', 'degraded', 'stopping'] as const;
export type ConnectorState = (typeof CONNECTOR_STATES)[number];

export interface ConnectorManifest<C = any> {
  readonly kind: string;
  readonly description: string;
  readonly capabilities: readonly Capability[];
  /** The connector's own configuration keys (everything but `id`, `kind`, `enabled`). */
  readonly configSchema: z.ZodType<C>;
  /** Dotted paths of configuration fields that hold secrets: masked in the API, never logged. */
  readonly secretFields: readonly string[];
  /**
   * The identity schemes this kind finds people by (`entra`, `sip`, `mailto`): a person with none
   * of them is not synced with it, and the directory report says so.
   */
  readonly identitySchemes?: readonly string[];
  /**
   * For `directory` kinds: the phone settings an instance reads its entries' numbers with. The hub
   * reads signals' `tel:` identities with the same settings, so both meet (docs/directory-identities.md).
   */
  readonly phoneOptions?: (config: C) => PhoneOptions | undefined;
  create(ctx: ConnectorContext<C>): Connector;
}

export interface EmitResult {
  readonly accepted: number;
  /** Signals refused, with the reason (unknown identity, invalid field); never silently dropped. */
  readonly refused: readonly { index: number; code: string; detail: string }[];
}

/** What the hub tells a directory connector to do with what it read. */
export interface DirectorySink {
  /** Replaces the people this connector contributes, once a full sync is complete. */
  replaceAll(people: readonly Person[]): Promise<void>;
  /**
   * Adds or updates people (incremental sync); `retire` removes people in the same step, so that a
   * renamed person's identities move to the new id without a moment of conflict or of nobody.
   */
  upsert(people: readonly Person[], opts?: { readonly retire?: readonly string[] }): Promise<void>;
  /** Retires people the directory confirmed removed. */
  remove(ids: readonly string[]): Promise<void>;
  /** Progress of a long sync, shown in the log and on GET /v1/connectors. */
  progress(done: number, total: number | undefined): void;
}

export interface DirectoryLookup {
  /** The person an identity (`scheme:value`) resolves to. */
  resolve(identity: string): string | undefined;
  person(id: string): Person | undefined;
  people(): Iterable<Person>;
  /**
   * A watcher's container for a presentity (docs/architecture.md "Views by container"), for publishers that
   * show the presence per watcher (the xmpp component's subscribers). Optional only so that older
   * hand-made lookups still compile; without it a publisher must show the public view.
   */
  containerFor?(watcher: string | undefined, presentity: string): Container;
}

export interface ConnectorContext<C> {
  /** The instance id: the `source` of the signals it emits. */
  readonly id: string;
  readonly config: C;
  readonly log: Logger;
  readonly clock: Clock;
  readonly directory: DirectoryLookup;
  /** Sends signals through the hub's ingest (validation, identity resolution, durable queue). */
  emit(signals: readonly SignalInput[]): Promise<EmitResult>;
  /** For `directory` connectors. */
  readonly directorySink: DirectorySink;
  /** Reports an outcome to health: the supervisor turns these into state and counters. */
  readonly report: HealthReporter;
  /**
   * Small durable key-value state of this connector instance, shared by every node (Redis mode):
   * what a connector must still know after it moves to another node (e.g. what it wrote into a
   * system, for the loop guard of docs/architecture.md invariant 4). Always present: the hub gives every
   * instance one, and test contexts use the embedded store.
   */
  readonly state: ConnectorStore;
  /**
   * For `publish` connectors: attach the connector's publish target to the hub's reconciliation
   * (docs/publishing.md). Once attached, presence changes reach the target, not `publish()`.
   */
  readonly publishing?: PublishingPort;
}

/** Durable key-value state namespaced per connector id; every call is a batch. */
export interface ConnectorStore {
  /** The values of the keys that exist (absent keys are absent from the map). */
  get(keys: readonly string[]): Promise<Map<string, string>>;
  set(entries: readonly (readonly [string, string])[]): Promise<void>;
  delete(keys: readonly string[]): Promise<void>;
  /** Every entry whose key starts with `prefix` (all with ''): for small sets such as registries. */
  entries(prefix: string): Promise<Map<string, string>>;
  /**
   * Stores `value` under `key` unless the key exists, at once for every node sharing the store
   * (Redis: HSETNX); answers the value stored now: `value`, or the one that was there first.
   * Optional: without it, callers fall back to a read then a write (not atomic).
   */
  setIfAbsent?(key: string, value: string): Promise<string>;
}

export interface HealthReporter {
  ok(): void;
  error(err: unknown): void;
  count(name: string, n?: number): void;
  /**
   * A connector that reconnects by itself while running (its own reconnect policy) says when its
   * next attempt is due, or undefined when none waits (connected again, or it gave up): health's
   * `nextRetryAt` shows it. `ok()` clears it too.
   */
  retryAt(at: number | undefined): void;
}

export interface Health {
  readonly state: ConnectorState;
  readonly lastOkAt?: number;
  readonly lastError?: { readonly code: string; readonly message: string; readonly at: number };
  /** The last few outcomes, newest first (a failure with its code and message). */
  readonly recent: readonly { readonly at: number; readonly ok: boolean; readonly code?: string; readonly message?: string }[];
  /** When the current run of failures began (the first failure after the last success); absent while healthy. */
  readonly failingSince?: number;
  /**
   * When the next attempt really happens: the supervisor's next start of a failed connector (with
   * the connector's own `backoff` where it has one), or the connector's own next reconnect while it
   * runs (`HealthReporter.retryAt`); absent when no retry is waiting.
   */
  readonly nextRetryAt?: number;
  readonly counts: Readonly<Record<string, number>>;
  /** Signals ingest refused, by reason (HUB_ERR_SIGNAL_INVALID, HUB_ERR_UNKNOWN_PERSON). */
  readonly refused: Readonly<Record<string, number>>;
  readonly progress?: { readonly done: number; readonly total?: number };
  /** The reconciliation of a publisher that attached a target: writes, retries, pending, ... */
  readonly publishing?: PublishStats;
}

export interface TestResult {
  readonly ok: boolean;
  /** For a failure: transient (unreachable, timeout) or permanent (bad credentials, forbidden). */
  readonly kind?: 'transient' | 'permanent' | 'throttled';
  readonly code?: string;
  readonly message: string;
}

/** What a directory connector could not place, for GET /v1/directory/report. */
export interface ConnectorReport {
  readonly skipped: readonly { readonly entry: string; readonly reason: string }[];
  /** Attribute values of synced people that gave no identity, and why (a phone field that is no number). */
  readonly unusable?: readonly { readonly entry: string; readonly person: string; readonly attribute: string; readonly value: string; readonly reason: string }[];
  /** Values cut to the model's limits (a 2 KB displayName kept as 256 characters). */
  readonly truncated?: readonly { readonly entry: string; readonly person: string; readonly attribute: string; readonly length: number; readonly limit: number }[];
  /** Entries left out because the account is disabled (AD userAccountControl). */
  readonly disabled?: number;
  readonly conflicts?: readonly { readonly identity: string; readonly people: readonly string[]; readonly entries?: readonly string[] }[];
  readonly withoutIdentities?: readonly string[];
  readonly people?: number;
  readonly at?: number;
}

/**
 * One connector instance. The ConnectorSupervisor owns the lifecycle guards: it never calls
 * start() twice without a stop() between, and it turns a rejected testConnection() into a failed
 * TestResult (core/connector/test-connection.ts), so a connector implements neither guard.
 */
export interface Connector {
  /** Starts collecting/subscribing. Rejects with a HubError whose kind tells the supervisor whether to retry. */
  start(): Promise<void>;
  /** Harmless when already stopped; runs every cleanup step even when one throws. */
  stop(): Promise<void>;
  /** Checks reachability and credentials; may reject with the HubError that says why. */
  testConnection(): Promise<TestResult>;
  /**
   * The connector's own reconnect policy (its configuration's `reconnect` / `retry`), where it has
   * one: the supervisor retries a failed start with it instead of its default, so the next retry
   * health shows is the one that happens, and a start that fails is retried like a dropped link.
   */
  readonly backoff?: BackoffOptions;
  /** For `publish` connectors: the merged presence of people that changed (full view). */
  publish?(changes: readonly Presence[]): Promise<void>;
  /** For `directory` connectors: entries not synced and why. */
  report?(): ConnectorReport;
}
