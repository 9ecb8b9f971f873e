import { HubError } from '../../core/errors.ts';
import type { Pipeline, PresenceStore } from '../../core/pipeline/ports.ts';

/** The pipeline with a store that refuses, while `poisoned`, any batch holding a signal for Dave. */
export function injecting(p: Pipeline): { pipeline: Pipeline; heal: () => void } {
  let poisoned = true;
  const inner = p.store;
  const store: PresenceStore = {
    now: () => inner.now(),
    async applySignals(signals) {
      if (poisoned && signals.some((s) => s.person === 'dave')) throw new HubError('HUB_ERR_SIGNAL_INVALID', 'injected handler failure for this batch', { kind: 'permanent' });
      return inner.applySignals(signals);
    },
    getRegisters: (people) => inner.getRegisters(people),
    registerCensus: (entries) => inner.registerCensus(entries),
    getPresence: (people) => inner.getPresence(people),
    commitPresence: (entries) => inner.commitPresence(entries),
    forget: (people) => inner.forget(people),
    close: () => inner.close(),
  };
  return { pipeline: { ...p, store, ready: () => p.ready(), close: () => p.close() }, heal: () => (poisoned = false) };
}
