import { describe, expect, it } from 'vitest';
import type { ConnectorStore } from '../../core/connector/contract.ts';
import { memoryConnectorStore } from '../../core/pipeline/embedded/connector-store.ts';
import { silentLogger } from '../../core/util/logger.ts';
import { GuardState } from './guard-state.ts';
import { LoopGuard } from './loop-guard.ts';

const BUSY = { availability: 'Busy', activity: 'InACall' };
const AVAILABLE = { availability: 'Available', activity: 'Available' };
const HOUR = 3_600_000;

function make(store: ConnectorStore = memoryConnectorStore()) {
  const counts: Record<string, number> = {};
  const guard = new LoopGuard(0);
  const gs = new GuardState({
    guard,
    store,
    log: silentLogger(),
    report: { ok: () => undefined, error: () => undefined, count: (n, k = 1) => void (counts[n] = (counts[n] ?? 0) + k), retryAt: () => undefined },
    lifetime: { session: HOUR, preferred: 4 * HOUR },
  });
  return { guard, gs, counts, store };
}

describe('GuardState: the loop guard record in the shared connector state', () => {
  it('a record saved by one node is loaded by another: active writes are echoes there, the real state is known', async () => {
    const a = make();
    a.guard.classify('u1', AVAILABLE, 0);
    a.guard.recordWrite('u1', BUSY, 1000);
    await a.gs.save();
    const b = make(a.store);
    expect(await b.gs.load(['u1', 'u2'], 2000)).toBe(1);
    expect(b.guard.activeRecord('u1')).toMatchObject({ pair: BUSY, at: 1000, kind: 'session' });
    expect(b.guard.lastReal('u1')).toEqual(AVAILABLE);
    expect(b.guard.classify('u1', BUSY, 2000)).toBe('echo');
  });

  it.each([
    { name: 'session within its lifetime', kind: 'session' as const, age: HOUR - 1, active: true },
    { name: 'session past its lifetime (expired in Teams)', kind: 'session' as const, age: HOUR, active: false },
    { name: 'preferred presence within its lifetime', kind: 'preferred' as const, age: 2 * HOUR, active: true },
  ])('$name: active=$active', async ({ kind, age, active }) => {
    const a = make();
    a.guard.recordWrite('u1', BUSY, 1000, kind);
    await a.gs.save();
    const b = make(a.store);
    await b.gs.load(['u1'], 1000 + age);
    expect(b.guard.activeRecord('u1') !== undefined).toBe(active);
    // An expired write is a real reading again.
    expect(b.guard.classify('u1', BUSY, 1000 + age)).toBe(active ? 'echo' : 'real');
  });

  it('a clear is saved too', async () => {
    const a = make();
    a.guard.recordWrite('u1', BUSY, 1000);
    await a.gs.save();
    a.guard.recordClear('u1', 2000);
    await a.gs.save();
    const b = make(a.store);
    await b.gs.load(['u1'], 3000);
    expect(b.guard.activeRecord('u1')).toBeUndefined();
    expect(b.guard.classify('u1', BUSY, 3000)).toBe('real');
  });

  it('skips and counts an unreadable record', async () => {
    const store = memoryConnectorStore();
    await store.set([
      ['guard:u1', 'not json'],
      ['guard:u2', '{"w":{"a":1}}'],
    ]);
    const b = make(store);
    expect(await b.gs.load(['u1', 'u2'], 0)).toBe(0);
    expect(b.counts.state_invalid).toBe(2);
  });

  it('a failed save is retried by the next one; an unreachable store fails the load as transient', async () => {
    const inner = memoryConnectorStore();
    let down = true;
    const flaky: ConnectorStore = {
      get: (k) => (down ? Promise.reject(new Error('ECONNREFUSED')) : inner.get(k)),
      set: (e) => (down ? Promise.reject(new Error('ECONNREFUSED')) : inner.set(e)),
      delete: (k) => inner.delete(k),
      entries: (p) => inner.entries(p),
    };
    const a = make(flaky);
    await expect(a.gs.load(['u1'], 0)).rejects.toMatchObject({ code: 'HUB_ERR_UNAVAILABLE', kind: 'transient' });
    a.guard.recordWrite('u1', BUSY, 1000);
    await a.gs.save();
    expect(a.counts.state_save_failed).toBe(1);
    expect((await inner.get(['guard:u1'])).size).toBe(0);
    down = false;
    a.guard.classify('u2', AVAILABLE, 1100);
    await a.gs.save();
    expect([...(await inner.get(['guard:u1', 'guard:u2'])).keys()]).toEqual(['guard:u1', 'guard:u2']);
  });
});
