/**
 * The one contract every connector kind passes (docs/connectors.md "The folder" and "The contract suite"),
 * parameterised by a fixture that runs the kind's simulator or real
 * peer: a bad configuration is refused naming the field; start and stop are idempotent;
 * testConnection() tells good credentials from bad and a reachable upstream from an unreachable
 * one; under a ConnectorSupervisor health goes running -> degraded when the upstream drops and back
 * to running (a fresh lastOkAt) when it returns, the outage logged once and its recovery once;
 * throttling is honoured (no request before Retry-After). A check the kind cannot take part in
 * (no upstream, no credentials, a simulator that cannot throttle) is skipped with the reason.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../core/config/load.ts';
import type { Connector, ConnectorManifest } from '../../core/connector/contract.ts';
import type { ConnectorSupervisor } from '../../core/connector/supervisor.ts';
import type { Person } from '../../core/model/person.ts';
import { connectorHarness, type Harness } from '../support/connector-harness.ts';
import { capturingLogger, type CapturedLine } from '../support/log-capture.ts';
import { connectionTest } from '../../core/connector/test-connection.ts';
import { until } from '../support/wait.ts';

export interface ContractUpstream {
  /** The upstream goes away (process stopped, or every connection cut and the port closed). */
  drop(): Promise<void>;
  /** It comes back at the same address. */
  restore(): Promise<void>;
}

export interface ContractThrottle {
  /** The next upstream request is answered "throttled" with this Retry-After (seconds). */
  arm(retryAfterSeconds: number): void;
  /**
   * Every upstream request so far, in the order issued: `at` when the client issued it (or, where
   * the fixture sees only the upstream's side, when it arrived there), whether it was answered
   * throttled, and where the fixture sees the client's side, `answeredAt` when that answer reached
   * the client and `order`, the positions of the issue and the answer in one sequence of events.
   */
  requests(): readonly { at: number; throttled: boolean; answeredAt?: number; order?: { issued: number; answered?: number } }[];
}

export interface ConnectorFixture<C> {
  readonly manifest: ConnectorManifest<C>;
  /** Starts the simulator or peer (once, before the checks). */
  setup(): Promise<void>;
  teardown(): Promise<void>;
  /** The directory the harness resolves identities with. */
  readonly people?: readonly Partial<Person>[];
  /** The connector's configuration as written in the file (before the schema) against the running upstream; short timers. */
  goodConfig(): Record<string, unknown>;
  /** The same with wrong credentials; absent for a kind without credentials. */
  badCredentialsConfig?(): Record<string, unknown>;
  /**
   * Configurations the schema must refuse, each with the dotted path of the field the message must
   * name ('' for the section itself, e.g. an unknown key) and text it must mention besides.
   */
  readonly invalidConfigs: readonly { readonly config: Record<string, unknown>; readonly field: string; readonly mentions?: string }[];
  /** Absent for a kind without an upstream (demo). */
  readonly upstream?: ContractUpstream;
  /** Absent where the simulator cannot throttle. */
  readonly throttle?: ContractThrottle;
  /** Makes the running connector talk to its upstream now (a publish-only kind: publish a change). */
  poke?(sup: ConnectorSupervisor, h: Harness<C>): Promise<void>;
  /** Upstream requests so far, to check that a stopped connector sends nothing more. */
  upstreamRequests?(): number;
  /** Checks the kind fails today (it.todo), with the gap named; listed in the report, never silently dropped. */
  readonly todo?: Partial<Record<'badCredentialsRetry', string>>;
  /** Why a check is skipped, by check name (`credentials`, `upstream`, `throttle`): said in the test name. */
  readonly skip?: Partial<Record<'credentials' | 'upstream' | 'throttle', string>>;
}

const ID = 'contract';
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Secret fields written as `${VARIABLE}` references with the values in `env`, as the config loader requires. */
function withSecretRefs(config: Record<string, unknown>, secretFields: readonly string[]): { config: Record<string, unknown>; env: Record<string, string>; values: string[] } {
  const out = structuredClone(config);
  const env: Record<string, string> = {};
  const values: string[] = [];
  secretFields.forEach((path, i) => {
    const keys = path.split('.');
    let node: Record<string, unknown> | undefined = out;
    for (const k of keys.slice(0, -1)) node = typeof node?.[k] === 'object' && node[k] !== null ? (node[k] as Record<string, unknown>) : undefined;
    const last = keys[keys.length - 1]!;
    const v = node?.[last];
    if (node === undefined || typeof v !== 'string' || v === '') return;
    env[`CONTRACT_SECRET_${i}`] = v;
    values.push(v);
    node[last] = `\${CONTRACT_SECRET_${i}}`;
  });
  return { config: out, env, values };
}

const messages = (lines: readonly CapturedLine[], re: RegExp): string[] =>
  lines.flatMap((l) => {
    try {
      const m = (JSON.parse(l.raw) as { msg?: string }).msg ?? '';
      return re.test(m) ? [m] : [];
    } catch {
      return [];
    }
  });

export function connectorContract<C>(name: string, fixture: ConnectorFixture<C>): void {
  const { manifest } = fixture;
  const kinds = new Map([[manifest.kind, manifest as ConnectorManifest]]);
  const cleanups: (() => Promise<void>)[] = [];
  let dropped = false;

  const harness = (raw: Record<string, unknown>): Harness<C> & { lines: CapturedLine[] } => {
    const { log, lines } = capturingLogger('info');
    const h = connectorHarness<C>({ id: ID, config: manifest.configSchema.parse(raw), people: (fixture.people ?? []).map((p) => ({ ...p })), log });
    return Object.assign(h, { lines });
  };
  const connector = (raw: Record<string, unknown>): Connector => {
    const c = manifest.create(harness(raw).ctx);
    cleanups.push(() => c.stop());
    return c;
  };
  const supervised = (raw: Record<string, unknown>) => {
    const h = harness(raw);
    const sup = h.supervisor(manifest);
    cleanups.push(() => sup.stop());
    return { h, sup, poke: () => fixture.poke?.(sup, h) ?? Promise.resolve() };
  };
  const drop = async (): Promise<void> => {
    dropped = true;
    await fixture.upstream!.drop();
  };
  const restore = async (): Promise<void> => {
    await fixture.upstream!.restore();
    dropped = false;
  };

  describe(`connector contract: ${name}`, () => {
    beforeAll(() => fixture.setup());
    afterEach(async () => {
      for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
      if (dropped) await restore();
    });
    afterAll(() => fixture.teardown());

    describe('configuration', () => {
      it('accepts the good configuration through the hub config loader, secrets from the environment', () => {
        const { config, env } = withSecretRefs(fixture.goodConfig(), manifest.secretFields);
        const loaded = parseConfig({ connectors: [{ id: ID, kind: manifest.kind, ...config }] }, { env, manifests: kinds });
        expect(loaded.connectorConfigs.has(ID)).toBe(true);
      });

      it.each(fixture.invalidConfigs.map((c) => [c.field || '(section)', c.config, c.field, c.mentions] as const))('refuses an invalid %s with a message naming the field', (_name, bad, field, mentions) => {
        const r = manifest.configSchema.safeParse(bad);
        expect(r.success).toBe(false);
        expect(r.error!.issues.map((i) => i.path.join('.'))).toContain(field);
        const { config, env, values } = withSecretRefs(bad, manifest.secretFields);
        let message = '';
        try {
          parseConfig({ connectors: [{ id: ID, kind: manifest.kind, ...config }] }, { env, manifests: kinds });
        } catch (e) {
          expect(e).toMatchObject({ code: 'HUB_ERR_CONFIG' });
          message = (e as Error).message;
        }
        const shown = field.replace(/\.(\d+)(?=\.|$)/g, '[$1]');
        expect(message).toContain(field === '' ? 'connectors[0]: ' : `connectors[0].${shown}: `);
        if (mentions !== undefined) expect(message).toContain(mentions);
        for (const v of values) expect(message).not.toContain(v);
      });
    });

    describe('lifecycle', () => {
      it('stop is idempotent: harmless before a start and twice, and the connector starts again after it', async () => {
        const c = connector(fixture.goodConfig());
        await c.stop(); // before any start
        await c.start();
        await c.stop();
        await c.stop();
        await c.start();
        await c.stop();
        if (fixture.upstreamRequests !== undefined) {
          // Once stop() has resolved the connector sends nothing more: no timer left behind, no work still in flight.
          const after = fixture.upstreamRequests();
          await sleep(800);
          expect(fixture.upstreamRequests()).toBe(after);
        }
      });

      it('under its supervisor a second start is refused (the supervisor owns that guard), and it starts again after a stop', async () => {
        const { sup } = supervised(fixture.goodConfig());
        await sup.start();
        await expect(sup.start()).rejects.toMatchObject({ code: 'HUB_ERR_CONNECTOR_RUNNING' });
        await sup.stop();
        await sup.start();
        await sup.stop();
        expect(sup.health().state).toBe('stopped');
      });
    });

    describe('testConnection', () => {
      it('is ok against the running upstream', async () => {
        const r = await connectionTest(connector(fixture.goodConfig()));
        expect(r, r.message).toMatchObject({ ok: true });
      });

      const bad = fixture.badCredentialsConfig;
      if (bad === undefined) it.skip(`tells bad credentials (${fixture.skip?.credentials ?? 'no credentials'})`, () => undefined);
      else
        it('says permanent for bad credentials, with a code and without the secret', async () => {
          const raw = fixture.badCredentialsConfig!();
          const r = await connectionTest(connector(raw));
          expect(r).toMatchObject({ ok: false, kind: 'permanent', code: expect.stringMatching(/^HUB_ERR_/) });
          for (const v of withSecretRefs(raw, manifest.secretFields).values) expect(r.message).not.toContain(v);
        });

      if (fixture.upstream === undefined) it.skip(`says transient when the upstream is unreachable (${fixture.skip?.upstream ?? 'no upstream'})`, () => undefined);
      else
        it('says transient when the upstream is unreachable', async () => {
          await drop();
          const r = await connectionTest(connector(fixture.goodConfig()));
          expect(r).toMatchObject({ ok: false, kind: 'transient', code: expect.stringMatching(/^HUB_ERR_/) });
        });
    });

    describe('health under a supervisor', () => {
      it('runs with a lastOkAt', async () => {
        const { sup, poke } = supervised(fixture.goodConfig());
        const t0 = Date.now();
        await sup.start();
        await until('running', () => sup.health().state === 'running' && (sup.health().lastOkAt ?? 0) >= t0, { poke });
        await sup.stop();
        expect(sup.health().state).toBe('stopped');
        await sup.stop();
        expect(sup.health().state).toBe('stopped');
      });

      if (fixture.badCredentialsConfig === undefined) it.skip(`stops retrying bad credentials (${fixture.skip?.credentials ?? 'no credentials'})`, () => undefined);
      else if (fixture.todo?.badCredentialsRetry !== undefined) it.todo(`stops retrying bad credentials and says why in health: ${fixture.todo.badCredentialsRetry}`);
      else
        it('stops retrying bad credentials and says why in health', async () => {
          // Health names the same stable code as testConnection() does for these credentials.
          const tested = await connectionTest(connector(fixture.badCredentialsConfig!()));
          expect(tested.code).toMatch(/^HUB_ERR_/);
          const { sup, poke } = supervised(fixture.badCredentialsConfig!());
          await sup.start();
          await until(`${tested.code} in health`, () => sup.health().lastError?.code === tested.code, { poke });
          // Either the start failed as permanent (the supervisor stopped it), or the connector runs on and
          // sends nothing more about it (no retry of a refused login; nothing poked it again).
          if (sup.health().state !== 'stopped') {
            expect(fixture.upstreamRequests, 'a connector that checks credentials after start needs upstreamRequests').toBeDefined();
            await sleep(300);
            const n = fixture.upstreamRequests!();
            await sleep(1500);
            expect(fixture.upstreamRequests!()).toBe(n);
          }
          await sup.stop();
        });

      if (fixture.upstream === undefined) it.skip(`reconnects after the upstream drops (${fixture.skip?.upstream ?? 'no upstream'})`, () => undefined);
      else
        it('goes degraded when the upstream drops and back to running with a fresh lastOkAt when it returns; the outage is logged once and its recovery once', async () => {
          const { h, sup, poke } = supervised(fixture.goodConfig());
          await sup.start();
          await until('running', () => sup.health().state === 'running' && sup.health().lastOkAt !== undefined, { poke });
          const failing = new RegExp(`^connector ${ID} failing`);
          const recovered = new RegExp(`^connector ${ID} recovered`);
          const before = { failing: messages(h.lines, failing).length, recovered: messages(h.lines, recovered).length };

          const tDrop = Date.now();
          await drop();
          await until('degraded after the drop', () => sup.health().state === 'degraded' && (sup.health().lastError?.at ?? 0) >= tDrop, { poke });
          expect(sup.health().lastError?.code).toMatch(/^HUB_ERR_/);
          await sleep(300); // more failures while it is down: still one outage line
          const tUp = Date.now();
          await restore();
          await until('running again after the upstream returned', () => sup.health().state === 'running' && (sup.health().lastOkAt ?? 0) >= tUp, { poke });
          expect(messages(h.lines, failing).length - before.failing).toBe(1);
          expect(messages(h.lines, recovered).length - before.recovered).toBe(1);
          await sup.stop();
        });
    });

    describe('throttling', () => {
      const t = fixture.throttle;
      if (t === undefined) it.skip(`honours Retry-After (${fixture.skip?.throttle ?? 'the simulator cannot throttle'})`, () => undefined);
      else
        it('sends no request before Retry-After, and keeps running', async () => {
          const { sup, poke } = supervised(fixture.goodConfig());
          await sup.start();
          await until('running', () => sup.health().state === 'running' && sup.health().lastOkAt !== undefined, { poke });
          // From the first request still unanswered (a request in flight when armed may be the one throttled).
          const before = t.requests();
          const pending = before.findIndex((x) => x.order !== undefined && x.order.answered === undefined);
          const from = pending >= 0 ? pending : before.length;
          t.arm(1);
          // The 429 reached the client at `arrived`; what the client issued before then was already
          // on the wire (unavoidable, exempt); whatever it issued from then on must wait Retry-After.
          const split = () => {
            const r = t.requests().slice(from);
            const throttled = r.find((q) => q.throttled);
            const arrived = throttled === undefined ? undefined : (throttled.answeredAt ?? throttled.at);
            const answered = throttled?.order?.answered;
            const issuedAfter = (x: (typeof r)[number]): boolean => (answered !== undefined && x.order !== undefined ? x.order.issued > answered : x.at >= arrived!);
            return { arrived, after: arrived === undefined ? [] : r.filter((x) => x !== throttled && issuedAfter(x)) };
          };
          await until('a throttled request and one issued after its answer', () => split().after.length > 0, { poke });
          const { arrived, after } = split();
          expect(after.length).toBeGreaterThan(0);
          // Timer granularity: a timeout may fire up to a millisecond early (where the fixture sees
          // only the upstream's clock).
          for (const x of after) expect(x.at - arrived!).toBeGreaterThanOrEqual(1000 - 2);
          await until('running after the throttled request', () => sup.health().state === 'running', { poke });
          await sup.stop();
        });
    });
  });
}
