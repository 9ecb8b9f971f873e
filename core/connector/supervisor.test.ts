/**
 * ConnectorSupervisor with fake connectors and fake timers (docs/connectors.md "Lifecycle, errors,
 * health"): the state machine, start/stop idempotence, capped exponential backoff with jitter for
 * transient start failures, no retry after a permanent one, Retry-After for a throttled one, the
 * outage logged once and its recovery once, bounded health.recent.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { capturingLogger, type CapturedLine } from '../../test/support/log-capture.ts';
import { HubError } from '../errors.ts';
import { silentLogger, type Logger } from '../util/logger.ts';
import { backoffDelay, type BackoffOptions } from './backoff.ts';
import type { Connector, ConnectorManifest, TestResult } from './contract.ts';
import { ConnectorSupervisor } from './supervisor.ts';

type Outcome = Error | undefined;

/** A connector whose start outcomes the test scripts; it records when it was started and stopped. */
class FakeConnector implements Connector {
  readonly startedAt: number[] = [];
  stops = 0;
  /** Outcomes of the next starts, in order; then starts succeed. */
  script: Outcome[] = [];
  /** When set, start() waits for it (to observe `starting`). */
  startGate: Promise<void> | undefined;
  stopGate: Promise<void> | undefined;
  stopThrows = false;
  testResult: TestResult | Error = { ok: true, message: 'fine' };
  /** Its own reconnect policy, when set. */
  backoff: BackoffOptions | undefined;

  async start(): Promise<void> {
    this.startedAt.push(Date.now());
    if (this.startGate !== undefined) await this.startGate;
    const next = this.script.shift();
    if (next !== undefined) throw next;
  }
  async stop(): Promise<void> {
    this.stops++;
    if (this.stopGate !== undefined) await this.stopGate;
    if (this.stopThrows) throw new Error('socket already closed');
  }
  async testConnection(): Promise<TestResult> {
    if (this.testResult instanceof Error) throw this.testResult;
    return this.testResult;
  }
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

const BACKOFF = { baseMs: 100, maxMs: 1000 };
const transient = (msg = 'connect ECONNREFUSED 127.0.0.1:1'): HubError => new HubError('HUB_ERR_LDAP_UNREACHABLE', msg, { kind: 'transient' });
const permanent = (): HubError => new HubError('HUB_ERR_GRAPH_AUTH', 'Entra refused the client credentials (invalid_client); check clientId and clientSecret', { kind: 'permanent', status: 401 });
const throttled = (retryAfterMs: number): HubError => new HubError('HUB_ERR_GRAPH_THROTTLED', 'Graph throttled the token request', { kind: 'throttled', retryAfterMs, status: 429 });

function make(o: { log?: Logger; random?: () => number } = {}) {
  const connector = new FakeConnector();
  const manifest: ConnectorManifest = { kind: 'fake', description: 'fake', capabilities: ['collect'], configSchema: z.object({}), secretFields: [], create: () => connector };
  const sup = new ConnectorSupervisor('c1', manifest, connector, { log: o.log ?? silentLogger(), clock: { now: () => Date.now() }, backoff: BACKOFF, random: o.random ?? (() => 1) });
  return { sup, connector };
}

const gaps = (times: readonly number[]): number[] => times.slice(1).map((t, i) => t - times[i]!);
const messages = (lines: readonly CapturedLine[], re: RegExp): string[] => lines.map((l) => (JSON.parse(l.raw) as { msg: string }).msg).filter((m) => re.test(m));

describe('ConnectorSupervisor', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'Date'] });
    vi.setSystemTime(Date.parse('2026-03-02T09:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('moves stopped -> starting -> running <-> degraded -> stopping -> stopped', async () => {
    const { sup, connector } = make();
    expect(sup.health().state).toBe('stopped');
    const gate = deferred();
    connector.startGate = gate.promise;
    const starting = sup.start();
    expect(sup.health().state).toBe('starting');
    gate.resolve();
    await starting;
    expect(sup.health()).toMatchObject({ state: 'running', lastOkAt: Date.now() });

    vi.advanceTimersByTime(1000);
    sup.reporter.error(transient('read timed out'));
    expect(sup.health()).toMatchObject({ state: 'degraded', lastError: { code: 'HUB_ERR_LDAP_UNREACHABLE', message: 'read timed out', at: Date.now() } });
    vi.advanceTimersByTime(1000);
    sup.reporter.ok();
    expect(sup.health()).toMatchObject({ state: 'running', lastOkAt: Date.now() });
    // The last error stays visible after the recovery.
    expect(sup.health().lastError?.message).toBe('read timed out');

    const stopGate = deferred();
    connector.stopGate = stopGate.promise;
    const stopping = sup.stop();
    expect(sup.health().state).toBe('stopping');
    // Outcomes reported while stopping do not bring the state back.
    sup.reporter.ok();
    sup.reporter.error(new Error('late'));
    expect(sup.health().state).toBe('stopping');
    stopGate.resolve();
    await stopping;
    expect(sup.health().state).toBe('stopped');
  });

  it('a start during a stop waits for the stop to finish: the connector is never started while it stops', async () => {
    const { sup, connector } = make();
    await sup.start();
    const stopGate = deferred();
    connector.stopGate = stopGate.promise;
    const stopping = sup.stop();
    const starting = sup.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(connector.startedAt).toHaveLength(1);
    stopGate.resolve();
    await stopping;
    await starting;
    expect(connector.startedAt).toHaveLength(2);
    expect(sup.health().state).toBe('running');
    connector.stopGate = undefined;
    await sup.stop();
  });

  it('refuses a second start with HUB_ERR_CONNECTOR_RUNNING, while running and while retrying', async () => {
    const { sup, connector } = make();
    await sup.start();
    await expect(sup.start()).rejects.toMatchObject({ code: 'HUB_ERR_CONNECTOR_RUNNING' });
    expect(connector.startedAt).toHaveLength(1);
    await sup.stop();

    connector.script = [transient()];
    await sup.start();
    expect(sup.health().state).toBe('degraded');
    await expect(sup.start()).rejects.toMatchObject({ code: 'HUB_ERR_CONNECTOR_RUNNING' });
    await vi.advanceTimersByTimeAsync(BACKOFF.baseMs);
    expect(sup.health().state).toBe('running');
    expect(connector.startedAt).toHaveLength(3);
    await sup.stop();
  });

  it('makes stop() harmless when repeated, concurrent, before any start, and when the connector stop throws', async () => {
    const { log, lines } = capturingLogger();
    const { sup, connector } = make({ log });
    await sup.stop();
    expect(connector.stops).toBe(0);
    await sup.start();
    connector.stopThrows = true;
    await Promise.all([sup.stop(), sup.stop()]);
    await sup.stop();
    expect(connector.stops).toBe(1);
    expect(sup.health().state).toBe('stopped');
    expect(messages(lines, /stop step failed/)).toHaveLength(1);
    // It can be started again after a stop.
    connector.stopThrows = false;
    await sup.start();
    expect(sup.health().state).toBe('running');
    await sup.stop();
  });

  it('retries a transient start failure with growing delays capped at maxMs', async () => {
    const { sup, connector } = make({ random: () => 1 });
    connector.script = Array.from({ length: 6 }, () => transient());
    await sup.start();
    expect(sup.health().state).toBe('degraded');
    await vi.advanceTimersByTimeAsync(10_000);
    expect(connector.startedAt).toHaveLength(7);
    expect(gaps(connector.startedAt)).toEqual([100, 200, 400, 800, 1000, 1000]);
    expect(sup.health().state).toBe('running');
    // Each failed attempt is cleaned up: the connector's stop ran after every failure.
    expect(connector.stops).toBe(6);
    // After a success the attempts start from the beginning.
    await sup.stop();
    connector.script = [transient(), transient()];
    await sup.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(gaps(connector.startedAt.slice(7))).toEqual([100, 200]);
    await sup.stop();
  });

  it('jitters each delay within [cap/2, cap]', async () => {
    const { sup, connector } = make({ random: Math.random });
    connector.script = Array.from({ length: 8 }, () => transient());
    await sup.start();
    await vi.advanceTimersByTimeAsync(20_000);
    expect(connector.startedAt).toHaveLength(9);
    gaps(connector.startedAt).forEach((gap, i) => {
      const cap = Math.min(BACKOFF.maxMs, BACKOFF.baseMs * 2 ** i);
      expect(gap).toBeGreaterThanOrEqual(cap / 2);
      expect(gap).toBeLessThanOrEqual(cap);
      expect(backoffDelay(i + 1, BACKOFF, () => 0)).toBe(cap / 2);
    });
    await sup.stop();
  });

  it('stops retrying after a permanent failure and says why', async () => {
    const { log, lines } = capturingLogger();
    const { sup, connector } = make({ log });
    connector.script = [transient(), permanent()];
    await sup.start();
    await vi.advanceTimersByTimeAsync(BACKOFF.baseMs);
    expect(connector.startedAt).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(600_000);
    expect(connector.startedAt).toHaveLength(2);
    const h = sup.health();
    expect(h.state).toBe('stopped');
    expect(h.lastError).toMatchObject({ code: 'HUB_ERR_GRAPH_AUTH', message: expect.stringContaining('check clientId and clientSecret') });
    expect(h.recent[0]).toMatchObject({ ok: false, code: 'HUB_ERR_GRAPH_AUTH' });
    const why = lines.map((l) => JSON.parse(l.raw) as { level: number; msg: string; code?: string }).filter((l) => /failed permanently/.test(l.msg));
    expect(why).toHaveLength(1);
    expect(why[0]).toMatchObject({ level: 50, code: 'HUB_ERR_GRAPH_AUTH', msg: expect.stringContaining('invalid_client') });
    // The administrator fixes the configuration and starts it again.
    await sup.start();
    expect(sup.health().state).toBe('running');
    await sup.stop();
  });

  it('waits a throttled failure out for its Retry-After, without burning a backoff attempt', async () => {
    const { sup, connector } = make({ random: () => 1 });
    connector.script = [transient(), throttled(5000), transient(), throttled(5000)];
    await sup.start();
    await vi.advanceTimersByTimeAsync(100);
    expect(connector.startedAt).toHaveLength(2);
    await vi.advanceTimersByTimeAsync(4999);
    expect(connector.startedAt).toHaveLength(2); // not before Retry-After
    await vi.advanceTimersByTimeAsync(1);
    expect(connector.startedAt).toHaveLength(3);
    await vi.advanceTimersByTimeAsync(20_000);
    // The transient failure after the throttled one waits the second delay (200), not the third (400).
    expect(gaps(connector.startedAt)).toEqual([100, 5000, 200, 5000]);
    expect(sup.health().state).toBe('running');
    await sup.stop();
  });

  it('logs an outage once and its recovery once', async () => {
    const { log, lines } = capturingLogger();
    const { sup, connector } = make({ log });
    connector.script = [transient(), transient(), transient()];
    await sup.start();
    await vi.advanceTimersByTimeAsync(10_000);
    expect(sup.health().state).toBe('running');
    expect(messages(lines, /failing/)).toEqual(['connector c1 failing: connect ECONNREFUSED 127.0.0.1:1']);
    expect(messages(lines, /recovered/)).toEqual(['connector c1 recovered']);

    for (let i = 0; i < 5; i++) sup.reporter.error(transient(`poll ${i} failed`));
    for (let i = 0; i < 5; i++) sup.reporter.ok();
    sup.reporter.error(transient('second outage'));
    sup.reporter.error(transient('second outage, again'));
    sup.reporter.ok();
    expect(messages(lines, /failing/)).toEqual(['connector c1 failing: connect ECONNREFUSED 127.0.0.1:1', 'connector c1 failing: poll 0 failed', 'connector c1 failing: second outage']);
    expect(messages(lines, /recovered/)).toHaveLength(3);
    expect(sup.health().counts.errors).toBe(3 + 7);
    await sup.stop();
  });

  it('keeps health.recent bounded, newest first', async () => {
    const { sup } = make();
    await sup.start();
    for (let i = 0; i < 40; i++) {
      vi.advanceTimersByTime(10);
      if (i % 2 === 0) sup.reporter.ok();
      else sup.reporter.error(transient());
    }
    const { recent } = sup.health();
    expect(recent.length).toBe(10);
    expect(recent[0]).toMatchObject({ at: Date.now(), ok: false, code: 'HUB_ERR_LDAP_UNREACHABLE' });
    expect(recent.map((r) => r.at)).toEqual([...recent.map((r) => r.at)].sort((a, b) => b - a));
    // A copy: the caller cannot change the supervisor's history.
    (recent as unknown as unknown[]).length = 0;
    expect(sup.health().recent.length).toBe(10);
    await sup.stop();
  });

  it('says since when it fails and when it retries; a success clears both', async () => {
    const { sup, connector } = make({ random: () => 1 });
    connector.script = [transient('first'), transient('second')];
    const t0 = Date.now();
    await sup.start();
    let h = sup.health();
    expect(h.state).toBe('degraded');
    expect(h.failingSince).toBe(t0);
    expect(h.nextRetryAt).toBe(t0 + 100);
    await vi.advanceTimersByTimeAsync(100);
    h = sup.health();
    // Still the same outage: failing since its first failure; the next retry waits the second delay.
    expect(h.failingSince).toBe(t0);
    expect(h.nextRetryAt).toBe(t0 + 100 + 200);
    expect(h.recent.slice(0, 2)).toEqual([
      { at: t0 + 100, ok: false, code: 'HUB_ERR_LDAP_UNREACHABLE', message: 'second' },
      { at: t0, ok: false, code: 'HUB_ERR_LDAP_UNREACHABLE', message: 'first' },
    ]);
    await vi.advanceTimersByTimeAsync(200);
    h = sup.health();
    expect(h.state).toBe('running');
    expect(h.failingSince).toBeUndefined();
    expect(h.nextRetryAt).toBeUndefined();
    // A failure while running starts a new outage (no retry: the connector keeps running, degraded).
    vi.advanceTimersByTime(1000);
    sup.reporter.error(transient('poll failed'));
    expect(sup.health()).toMatchObject({ state: 'degraded', failingSince: Date.now() });
    expect(sup.health().nextRetryAt).toBeUndefined();
    await sup.stop();
  });

  it("a connector with its own reconnect policy: failed starts are retried with it, and health shows that retry", async () => {
    const { sup, connector } = make({ random: () => 1 });
    connector.backoff = { baseMs: 5000, maxMs: 20_000 };
    connector.script = [transient('first'), transient('second')];
    const t0 = Date.now();
    await sup.start();
    expect(sup.health().nextRetryAt).toBe(t0 + 5000);
    await vi.advanceTimersByTimeAsync(4999);
    expect(connector.startedAt).toEqual([t0]);
    await vi.advanceTimersByTimeAsync(1);
    expect(connector.startedAt).toEqual([t0, t0 + 5000]);
    expect(sup.health().nextRetryAt).toBe(t0 + 5000 + 10_000);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(connector.startedAt).toEqual([t0, t0 + 5000, t0 + 15_000]);
    expect(sup.health()).toMatchObject({ state: 'running' });
    await sup.stop();
  });

  it("a running connector's own next reconnect is shown until it is connected again (ok) or stopped", async () => {
    const { sup } = make();
    await sup.start();
    sup.reporter.error(transient('link down'));
    sup.reporter.retryAt(Date.now() + 7000);
    expect(sup.health()).toMatchObject({ state: 'degraded', nextRetryAt: Date.now() + 7000 });
    sup.reporter.ok();
    expect(sup.health().nextRetryAt).toBeUndefined();
    sup.reporter.retryAt(Date.now() + 3000);
    sup.reporter.retryAt(undefined);
    expect(sup.health().nextRetryAt).toBeUndefined();
    sup.reporter.retryAt(Date.now() + 3000);
    await sup.stop();
    expect(sup.health().nextRetryAt).toBeUndefined();
  });

  it('a permanent failure keeps its failing-since and has no next retry; stop clears a waiting retry', async () => {
    const { sup, connector } = make();
    connector.script = [permanent()];
    await sup.start();
    expect(sup.health()).toMatchObject({ state: 'stopped', failingSince: Date.now() });
    expect(sup.health().nextRetryAt).toBeUndefined();
    connector.script = [transient()];
    await sup.start();
    expect(sup.health().nextRetryAt).toBeDefined();
    await sup.stop();
    expect(sup.health().nextRetryAt).toBeUndefined();
  });

  it('counts what the connector reports and stops a retry that was waiting', async () => {
    const { sup, connector } = make();
    connector.script = [transient()];
    await sup.start();
    sup.reporter.count('signals', 3);
    sup.reporter.count('signals');
    expect(sup.health().counts.signals).toBe(4);
    await sup.stop();
    await vi.advanceTimersByTimeAsync(60_000);
    expect(connector.startedAt).toHaveLength(1);
    expect(sup.health().state).toBe('stopped');
  });

  it('turns a testConnection that throws into a failed TestResult of the right kind', async () => {
    const { sup, connector } = make();
    connector.testResult = permanent();
    expect(await sup.testConnection()).toMatchObject({ ok: false, kind: 'permanent', code: 'HUB_ERR_GRAPH_AUTH' });
    connector.testResult = new Error('boom');
    expect(await sup.testConnection()).toMatchObject({ ok: false, kind: 'transient', code: 'HUB_ERR_TEST_FAILED', message: 'boom' });
    connector.testResult = { ok: true, message: 'fine' };
    expect(await sup.testConnection()).toEqual({ ok: true, message: 'fine' });
  });
});
