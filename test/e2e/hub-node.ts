/**
 * One hub node in its own process, for the failover tests (test/e2e/failover.test.ts) and the
 * failover benchmark (bench/failover.ts): the real Hub and API over redisPipeline with the
 * production defaults (job lock, stalled check, lease TTL), listening on a free loopback port.
 * It prints JSON lines: `{"url"}` once it serves; `{"holding"}` when PH_HOLD_MS is set and it has
 * applied a batch's signals and now sits on the batch before committing (so that a kill lands
 * mid-batch); `{"lease"}` when it starts holding the connector; `{"triggers"}` when it holds the
 * `hub:triggers` lease. With PH_TRIGGER_URL it runs no connector and adds people p1-p5 and the
 * quorum trigger of triggerNodeConfig (test/support/hub-process.ts; its webhook to that URL). SIGTERM stops it cleanly.
 */
import { redisPipeline } from '../../core/pipeline/redis/index.ts';
import { systemClock } from '../../core/util/clock.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { TEAM_ENV, teamConfig, testHub } from '../support/hub.ts';
import { triggerNodeConfig, TRIGGER_NODE_SECRET } from '../support/hub-process.ts';
import { withApplySignals } from '../support/wrap-store.ts';

const hold = Number(process.env.PH_HOLD_MS ?? '0');
const nodeId = process.env.PH_NODE_ID ?? `node-${process.pid}`;
const say = (o: object): void => void process.stdout.write(`${JSON.stringify(o)}\n`);

const p = await redisPipeline({ url: process.env.PH_REDIS_URL!, prefix: process.env.PH_PREFIX!, log: silentLogger(), nodeId });
const pipeline = withApplySignals(p, async (inner, signals) => {
  const r = await inner.applySignals(signals);
  if (hold > 0) {
    say({ holding: signals.length });
    await new Promise((res) => setTimeout(res, hold));
  }
  return r;
});
const t = await testHub({
  // The failover test gives each person 100 endpoints in one batch: above the default register cap.
  config: teamConfig({
    // The demo connector would make trigger people available by itself: not with a trigger.
    connectors: process.env.PH_TRIGGER_URL !== undefined ? [] : [{ id: 'demo', kind: 'demo', interval: 3600, perTick: 1 }],
    limits: { registersPerPerson: 1000 },
    ...(process.env.PH_TRIGGER_URL !== undefined ? triggerNodeConfig(process.env.PH_TRIGGER_URL) : {}),
  }),
  env: { ...TEAM_ENV, CONF_SECRET: TRIGGER_NODE_SECRET },
  clock: systemClock,
  pipeline,
  lease: p.lease,
  nodeId,
});
const url = await t.app.listen({ host: '127.0.0.1', port: 0 });
say({ url, node: nodeId });
const timer = setInterval(() => {
  if (t.hub.supervisors.get('demo')?.health().state === 'running') {
    say({ lease: nodeId });
    clearInterval(timer);
  }
}, 20);
if (process.env.PH_TRIGGER_URL !== undefined) {
  const triggers = setInterval(() => {
    void p.lease.holder!('hub:triggers').then((h) => {
      if (h !== nodeId) return;
      say({ triggers: nodeId });
      clearInterval(triggers);
    });
  }, 20);
}
process.once('SIGTERM', () => {
  void t.close().then(() => process.exit(0));
});
