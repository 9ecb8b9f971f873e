import type { Pipeline, PresenceStore } from '../../core/pipeline/ports.ts';

/**
 * The pipeline with its store's applySignals replaced by `apply` (which may call the real one);
 * every other store call goes to the real store. For tests that inject a failure or a pause into
 * one batch.
 */
export function withApplySignals(p: Pipeline, apply: (inner: PresenceStore, signals: Parameters<PresenceStore['applySignals']>[0]) => ReturnType<PresenceStore['applySignals']>): Pipeline {
  const inner = p.store;
  const store: PresenceStore = {
    now: () => inner.now(),
    applySignals: (signals) => apply(inner, signals),
    getRegisters: (people) => inner.getRegisters(people),
    registerCensus: (entries) => inner.registerCensus(entries),
    getPresence: (people) => inner.getPresence(people),
    commitPresence: (entries) => inner.commitPresence(entries),
    forget: (people) => inner.forget(people),
    close: () => inner.close(),
  };
  return { ...p, store, ready: () => p.ready(), close: () => p.close() };
}
