import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { ManagerMetrics } from './manager/presence-manager.ts';

/** The hub's Prometheus metrics, on a registry of its own (no global state). */
export class HubMetrics implements ManagerMetrics {
  readonly registry = new Registry();
  readonly signalsAccepted = new Counter({ name: 'presence_hub_signals_accepted_total', help: 'Signals accepted and queued', labelNames: ['via'], registers: [this.registry] });
  readonly signalsRefused = new Counter({ name: 'presence_hub_signals_refused_total', help: 'Signals refused, by reason', labelNames: ['reason'], registers: [this.registry] });
  readonly connectorRefused = new Counter({ name: 'presence_hub_connector_signals_refused_total', help: 'Signals a connector emitted that ingest refused, by connector and reason', labelNames: ['connector', 'reason'], registers: [this.registry] });
  readonly signalsApplied = new Counter({ name: 'presence_hub_signals_applied_total', help: 'Signals applied to registers, by outcome', labelNames: ['outcome'], registers: [this.registry] });
  readonly aggregation = new Histogram({
    name: 'presence_hub_aggregation_seconds',
    help: 'Time to aggregate one batch of people',
    buckets: [0.0001, 0.0005, 0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1],
    registers: [this.registry],
  });
  readonly presenceChanges = new Counter({ name: 'presence_hub_presence_changes_total', help: 'Presence changes published', registers: [this.registry] });
  readonly streamClients = new Gauge({ name: 'presence_hub_stream_clients', help: 'Open SSE streams', registers: [this.registry] });
  readonly queueDepth = new Gauge({ name: 'presence_hub_queue_depth', help: 'Signals waiting in the queue', registers: [this.registry] });
  readonly queueOldestWaiting = new Gauge({ name: 'presence_hub_queue_oldest_waiting_seconds', help: 'Age of the oldest batch waiting to be taken (0 when none waits)', registers: [this.registry] });
  readonly queueRetrying = new Gauge({ name: 'presence_hub_queue_retrying', help: 'Batches waiting for a retry after a failure', registers: [this.registry] });
  readonly queueDeadLetters = new Gauge({ name: 'presence_hub_queue_dead_letters', help: 'Batches dead-lettered (GET /v1/pipeline), until replayed', registers: [this.registry] });
  readonly connectorEvents = new Gauge({ name: 'presence_hub_connector_count', help: 'Per-connector counters', labelNames: ['connector', 'counter'], registers: [this.registry] });
  /** The reconciliation of each publisher (core/publish): writes, retries, confirmed, failed, unknownOutcomes, pending, oldestPendingMs, reconciles. */
  readonly publishing = new Gauge({ name: 'presence_hub_publish', help: 'Per-publisher reconciliation figures (writes, retries, pending, unknown outcomes, oldest pending ms)', labelNames: ['connector', 'figure'], registers: [this.registry] });
  readonly connectorUp = new Gauge({ name: 'presence_hub_connector_up', help: '1 when the connector is running', labelNames: ['connector', 'kind'], registers: [this.registry] });

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics !== false) collectDefaultMetrics({ register: this.registry, prefix: 'presence_hub_' });
  }

  applied(outcome: 'applied' | 'stale' | 'duplicate', n: number): void {
    if (n > 0) this.signalsApplied.inc({ outcome }, n);
  }
  aggregationSeconds(s: number): void {
    this.aggregation.observe(s);
  }
  changes(n: number): void {
    this.presenceChanges.inc(n);
  }
}
