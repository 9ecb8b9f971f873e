/**
 * The only code of the demo that talks to its upstream, the simulated office (simulator.ts), the
 * way a real connector's client polls its system: what happened since the last poll, as events.
 */
import { SimulatedOffice, type DemoEvent } from './simulator.ts';

export class DemoClient {
  private readonly office: SimulatedOffice;
  private opened = false;

  constructor(o: { seed: number; meetingLength: number }) {
    this.office = new SimulatedOffice(o);
  }

  /** The first poll: every person's laptop in use. Later polls: `perPoll` random events. */
  poll(people: readonly string[], now: number, perPoll: number): DemoEvent[] {
    if (!this.opened) {
      this.opened = true;
      return this.office.morning(people, now);
    }
    return this.office.happen(people, now, perPoll);
  }
}
