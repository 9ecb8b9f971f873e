import { HubError } from '../../core/errors.ts';
import type { Pipeline } from '../../core/pipeline/ports.ts';
import { withApplySignals } from './wrap-store.ts';

/** The pipeline with a store that refuses, while `poisoned`, any batch holding a signal for Dave. */
export function injecting(p: Pipeline): { pipeline: Pipeline; heal: () => void } {
  let poisoned = true;
  const pipeline = withApplySignals(p, async (inner, signals) => {
    if (poisoned && signals.some((s) => s.person === 'dave')) throw new HubError('HUB_ERR_SIGNAL_INVALID', 'injected handler failure for this batch', { kind: 'permanent' });
    return inner.applySignals(signals);
  });
  return { pipeline, heal: () => (poisoned = false) };
}
