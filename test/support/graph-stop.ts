/**
 * For the Graph connectors' stop tests (msgraph-presence, msgraph-calendar): a stop made while
 * the answer to a subscription request already sent is held back by the simulator
 * (GraphSimulator.holdNextAnswer), and the subscription writes the simulator received.
 */
import type { GraphSimulator } from '../../connectors/msgraph-shared/simulator.ts';

/**
 * Stops while the answer to a subscription request already sent is held back, then lets it come.
 * Without waiting for that work the stop would return before the answer (it is given a moment to);
 * the stop that waits does not return before it, whichever way the moment goes.
 */
export async function stopDuring(c: { stop(): Promise<void> }, held: { release: () => void }): Promise<void> {
  const stopping = c.stop();
  await Promise.race([stopping, new Promise((r) => setTimeout(r, 300))]);
  held.release();
  await stopping;
}

/** The subscription creates and renewals (POST, PATCH) the simulator received, from request `from` on. */
export function subscriptionWrites(sim: Pick<GraphSimulator, 'requests'>, from = 0): GraphSimulator['requests'] {
  return sim.requests.slice(from).filter((r) => r.path.startsWith('/subscriptions') && (r.method === 'POST' || r.method === 'PATCH'));
}
