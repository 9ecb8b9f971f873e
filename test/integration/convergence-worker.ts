/**
 * A hub worker process for test/integration/convergence.test.ts: the real PresenceManager over
 * redisPipeline. PH_SLOW_MS pauses after each apply so that a SIGKILL lands between the apply and
 * the commit of a batch; it prints `applied N` / `committed N` lines so the test can time the kill.
 */
import { PresenceManager } from '../../core/manager/presence-manager.ts';
import type { Pipeline, PresenceStore } from '../../core/pipeline/ports.ts';
import { redisPipeline } from '../../core/pipeline/redis/index.ts';
import { DEFAULT_RULES } from '../../core/rules/rules-config.ts';
import { createLogger, silentLogger } from '../../core/util/logger.ts';

const url = process.env.PH_REDIS_URL!;
const prefix = process.env.PH_PREFIX!;
const slow = Number(process.env.PH_SLOW_MS ?? '0');
const log = process.env.PH_DEBUG ? createLogger({ level: 'debug', destination: process.stderr }) : silentLogger();

const p = await redisPipeline({ url, prefix, log, nodeId: `worker-${process.pid}`, concurrency: 2, lockDurationMs: 2000, stalledIntervalMs: 1000, retryDelayMs: 100 });
const inner = p.store;
const store: PresenceStore = {
  now: () => inner.now(),
  async applySignals(signals) {
    const r = await inner.applySignals(signals);
    process.stdout.write(`applied ${signals.length}\n`);
    if (slow > 0) await new Promise((res) => setTimeout(res, slow));
    return r;
  },
  getRegisters: (people) => inner.getRegisters(people),
  registerCensus: (entries) => inner.registerCensus(entries),
  getPresence: (people) => inner.getPresence(people),
  async commitPresence(entries) {
    const r = await inner.commitPresence(entries);
    process.stdout.write(`committed ${entries.length}\n`);
    return r;
  },
  forget: (people) => inner.forget(people),
  close: () => inner.close(),
};
const pipeline: Pipeline = { ...p, store, ready: () => p.ready(), close: () => p.close() };
new PresenceManager({ pipeline, rules: DEFAULT_RULES, log }).start();
process.stdout.write('ready\n');
process.on('SIGTERM', () => {
  void p.close().then(() => process.exit(0));
});
