/**
 * The goals the benchmark figures are judged by (README "Performance"), as data: `npm run bench`
 * ends its table with each goal and whether it is met, and `npm run bench:readme` writes them into
 * the README's table. A figure without a goal is only reported.
 */
export interface Goal {
  readonly figure: string;
  readonly op: '>=' | '<=' | '<' | '=';
  readonly value: number;
  /** Where the goal comes from, when it is more than a number. */
  readonly note?: string;
}

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  /** When the module that produced it ran (ISO 8601), and the machine's 1-minute load average then. */
  readonly at?: string;
  readonly load1?: number;
  /** `nproc` cores and the CPU model of the machine it ran on. */
  readonly machine?: string;
}

export const GOALS: readonly Goal[] = [
  { figure: 'redis.throughput', op: '>=', value: 100_000 },
  { figure: 'redis.throughput_ratio', op: '>=', value: 8, note: 'redis.throughput / baseline.bullmq_noop_jobs_per_s of the same run' },
  { figure: 'embedded.throughput', op: '>=', value: 300_000 },
  { figure: 'storm.settle_ms', op: '<=', value: 2000 },
  { figure: 'latency.p99_ms', op: '<=', value: 20 },
  { figure: 'sip.notify_per_s', op: '>=', value: 20_000 },
  { figure: 'memory.rss_mb', op: '<=', value: 1024 },
  { figure: 'directory.sync_100k_ms', op: '<', value: 60_000 },
  { figure: 'graph.poll_requests_per_s_100k', op: '<=', value: 50 },
  { figure: 'failover.signals_ms_max', op: '<=', value: 5000 },
  { figure: 'failover.lease_ms_max', op: '<=', value: 5000 },
  { figure: 'soak.lost', op: '=', value: 0 },
  { figure: 'soak.diverged', op: '=', value: 0 },
];

export function met(goal: Goal, value: number): boolean {
  switch (goal.op) {
    case '>=':
      return value >= goal.value;
    case '<=':
      return value <= goal.value;
    case '<':
      return value < goal.value;
    case '=':
      return value === goal.value;
  }
}

export function goalText(goal: Goal): string {
  return `${goal.op} ${goal.value.toLocaleString('en-US').replace(/,/g, ' ')}`;
}

/** Each goal with the figure's value (undefined when no run produced it yet). */
export function judge(figures: readonly Figure[]): { goal: Goal; value: number | undefined; met: boolean | undefined }[] {
  const by = new Map(figures.map((f) => [f.name, f.value]));
  return GOALS.map((goal) => {
    const value = by.get(goal.figure);
    return { goal, value, met: value === undefined ? undefined : met(goal, value) };
  });
}
