import { describe, expect, it } from 'vitest';
import { GOALS, judge } from '../bench/goals.ts';
import { rewrite } from '../scripts/bench-readme.ts';

const BEGIN = '<!-- bench:table:begin (npm run bench:readme writes this table from bench/results.json) -->';
const END = '<!-- bench:table:end -->';

describe('bench goals and the README performance table', () => {
  const figures = [
    { name: 'redis.throughput', value: 61234, unit: 'signals/s', at: '2026-12-01T12:00:00.000Z', load1: 1.5, machine: '2 cores, Test CPU' },
    { name: 'memory.rss_mb', value: 700, unit: 'MB', at: '2026-12-01T12:05:00.000Z', load1: 0.7, machine: '2 cores, Test CPU' },
    { name: 'baseline.redis_ops_per_s', value: 250000, unit: 'ops/s', at: '2026-12-01T12:00:00.000Z', load1: 1.5, machine: '2 cores, Test CPU' },
  ];

  it('judges each goal against the figure of the same name', () => {
    const j = new Map(judge(figures).map((x) => [x.goal.figure, x]));
    expect(j.get('redis.throughput')).toMatchObject({ value: 61234, met: false });
    expect(j.get('memory.rss_mb')).toMatchObject({ value: 700, met: true });
    expect(j.get('latency.p99_ms')).toMatchObject({ value: undefined, met: undefined });
    expect(judge(figures)).toHaveLength(GOALS.length);
  });

  it('rewrites only what is between the markers, with date, machine, load and each goal met or not', () => {
    const readme = `# Title\n\nbefore\n${BEGIN}\n| old | table |\n${END}\nafter the table\n`;
    const out = rewrite(readme, figures);
    expect(out.startsWith(`# Title\n\nbefore\n${BEGIN}\n`)).toBe(true);
    expect(out.endsWith(`${END}\nafter the table\n`)).toBe(true);
    expect(out).not.toContain('| old | table |');
    expect(out).toContain('Measured on 2026-12-01 on 2 cores, Test CPU, 1-minute load average 0.7-1.5');
    expect(out).toContain('| `redis.throughput` | 61 234 signals/s | >= 100 000 | **no** | 1.5 |');
    expect(out).toContain('| `memory.rss_mb` | 700 MB | <= 1 024 | yes | 0.7 |');
    expect(out).toContain('| `baseline.redis_ops_per_s` | 250 000 ops/s |  |  | 1.5 |');
    expect(out).toContain('| `latency.p99_ms` | not measured | <= 20 | not measured | |');
    // Idempotent: a second run over its own output changes nothing.
    expect(rewrite(out, figures)).toBe(out);
  });

  it('refuses a README without the markers instead of appending a second table', () => {
    expect(() => rewrite('# no markers\n', figures)).toThrow(/no performance table markers/);
  });
});
