import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { embeddedPipeline } from '../pipeline/embedded/index.ts';
import type { Signal } from '../model/signal.ts';
import { aggregate } from '../rules/aggregate.ts';
import { DEFAULT_RULES } from '../rules/rules-config.ts';
import { ManualClock } from '../util/clock.ts';
import { silentLogger } from '../util/logger.ts';
import { PresenceManager, draftOf } from './presence-manager.ts';

const T0 = Date.parse('2026-11-22T09:00:00Z');

function setup() {
  const clock = new ManualClock(T0);
  const pipeline = embeddedPipeline({ clock, log: silentLogger() });
  const manager = new PresenceManager({ pipeline, rules: DEFAULT_RULES, log: silentLogger() });
  return { clock, pipeline, manager };
}

const sig = (s: Partial<Signal> & Pick<Signal, 'person' | 'category'>): Signal => ({ source: 'api', endpoint: 'e', expireType: 'device', ...s }) as Signal;

const signalArb = fc.record({
  person: fc.constantFrom('a', 'b', 'c'),
  source: fc.constantFrom('s1', 's2'),
  endpoint: fc.constantFrom('x', 'y'),
  category: fc.constantFrom('user', 'phone', 'calendar', 'device' as const),
  availability: fc.integer({ min: 3000, max: 19000 }),
  sourceVersion: fc.integer({ min: 0, max: 1000 }),
});

describe('PresenceManager', () => {
  it('ignores a duplicate signal: no new version, no new stamp', async () => {
    const { clock, pipeline, manager } = setup();
    const s = sig({ person: 'a', category: 'phone', availability: 6500, sourceVersion: 1 });
    await manager.handleBatch([s]);
    const [first] = [...(await pipeline.store.getPresence(['a'])).values()];
    clock.advance(1000);
    await manager.handleBatch([s]);
    const [again] = [...(await pipeline.store.getPresence(['a'])).values()];
    expect(again).toEqual(first);
    const regs = (await pipeline.store.getRegisters(['a'])).get('a')!;
    expect(regs.registers[0]!.publishedAt).toBe(T0);
  });

  it('drops a stale sourceVersion and a stale sourceTime', async () => {
    const { pipeline, manager } = setup();
    await manager.handleBatch([sig({ person: 'a', category: 'phone', availability: 6500, sourceVersion: 5 })]);
    await manager.handleBatch([sig({ person: 'a', category: 'phone', availability: 3500, sourceVersion: 4 })]);
    expect((await pipeline.store.getPresence(['a'])).get('a')!.class).toBe('busy');
    await manager.handleBatch([sig({ person: 'b', category: 'phone', availability: 6500, sourceTime: T0 })]);
    await manager.handleBatch([sig({ person: 'b', category: 'phone', availability: 3500, sourceTime: T0 - 1 })]);
    expect((await pipeline.store.getPresence(['b'])).get('b')!.class).toBe('busy');
  });

  it('recomputes a person once per batch and bumps the version only on a change', async () => {
    const { pipeline, manager } = setup();
    const changes: string[] = [];
    pipeline.bus.subscribe((p) => changes.push(`${p.person}@${p.version}`));
    await manager.handleBatch([
      sig({ person: 'a', category: 'phone', endpoint: 'p1', availability: 6500 }),
      sig({ person: 'a', category: 'phone', endpoint: 'p2', availability: 6500 }),
      sig({ person: 'b', category: 'phone', availability: 3500 }),
    ]);
    expect(changes).toEqual(['a@1', 'b@1']);
    await manager.handleBatch([sig({ person: 'a', category: 'phone', endpoint: 'p3', availability: 6000 })]);
    expect(changes).toEqual(['a@1', 'b@1']);
  });

  it('re-evaluates at the next boundary: a meeting ends on time without a signal', async () => {
    const { clock, pipeline, manager } = setup();
    manager.start();
    await manager.handleBatch([sig({ person: 'a', category: 'calendar', availability: 6500, from: T0 + 1000, until: T0 + 2000 })]);
    expect(pipeline.boundaries.pendingFor('a')).toBe(T0 + 1000);
    clock.set(T0 + 1000);
    await pipeline.boundaries.fire();
    expect((await pipeline.store.getPresence(['a'])).get('a')!.class).toBe('busy');
    clock.set(T0 + 2000);
    await pipeline.boundaries.fire();
    expect((await pipeline.store.getPresence(['a'])).get('a')!.class).toBe('offline');
    expect(pipeline.boundaries.pendingFor('a')).toBeUndefined();
  });

  it('converges to the aggregation of its registers for any order and duplication of signals', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(signalArb, { minLength: 1, maxLength: 40 }), fc.array(fc.nat(), { maxLength: 40 }), async (rows, dupIdx) => {
        const { clock, pipeline, manager } = setup();
        const signals = rows.map((r) => sig({ ...r, expireType: 'device' }));
        const withDups = [...signals, ...dupIdx.map((i) => signals[i % signals.length]!)];
        for (let i = 0; i < withDups.length; i += 7) {
          clock.advance(10);
          await manager.handleBatch(withDups.slice(i, i + 7));
        }
        const people = [...new Set(signals.map((s) => s.person))];
        const regs = await pipeline.store.getRegisters(people);
        const stored = await pipeline.store.getPresence(people);
        const now = await pipeline.store.now();
        for (const p of people) {
          const expected = draftOf(p, aggregate(regs.get(p)!.registers, now, DEFAULT_RULES));
          const { since: _s, version: _v, views: _w, ...got } = stored.get(p)!;
          expect(got).toEqual(expected);
          // Each register holds the highest sourceVersion sent for it.
          for (const r of regs.get(p)!.registers) {
            const max = Math.max(...signals.filter((s) => s.person === p && s.source === r.source && s.endpoint === r.endpoint && s.category === r.category).map((s) => s.sourceVersion!));
            expect(r.sourceVersion).toBe(max);
          }
        }
      }),
      { numRuns: 150 },
    );
  });
});
