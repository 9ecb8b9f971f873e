/**
 * Evaluating triggers (docs/triggers.md): who a trigger names, the class of each as the trigger's
 * owner sees them, whether the quorum holds, and the step of its state with hysteresis
 * (condition.ts) that says whether a presence change fires it. Holds the presence last seen of the
 * people the live triggers name; stores and delivers nothing.
 */
import type { Directory } from '../directory/directory.ts';
import type { AvailabilityClass } from '../model/availability.ts';
import { offlinePresence, viewFor, type Presence } from '../model/presence.ts';
import { INITIAL, satisfied, step, type TriggerState } from './condition.ts';
import type { Live, StoredState, TriggerDef } from './model.ts';

export class TriggerEvaluation {
  /** The presence last seen of the people live triggers name. */
  readonly known = new Map<string, Presence>();

  constructor(
    private readonly deps: {
      directory: () => Directory;
      presence: (people: readonly string[]) => Promise<Presence[]>;
    },
  ) {}

  names(d: TriggerDef, person: string): boolean {
    if (d.people !== undefined) return d.people.includes(person);
    return this.deps.directory().person(person)?.teams.includes(d.team!) ?? false;
  }

  members(d: TriggerDef): readonly string[] {
    if (d.people !== undefined) return d.people;
    const out: string[] = [];
    for (const p of this.deps.directory().people()) if (p.teams.includes(d.team!)) out.push(p.id);
    return out;
  }

  /** The class of `person` as the trigger's owner sees it (a watcher's container view; blocked: offline). */
  private classOf(d: TriggerDef, person: string, known: ReadonlyMap<string, Presence>): AvailabilityClass {
    const dir = this.deps.directory();
    if (!dir.has(person)) return 'offline';
    const p = known.get(person) ?? offlinePresence(person, dir.loadedAt);
    return d.watcherOwned ? viewFor(p, dir.containerFor(d.watcher, person), dir.loadedAt).class : p.class;
  }

  evaluate(d: TriggerDef, known: ReadonlyMap<string, Presence> = this.known): { met: boolean; counted: string[] } {
    const people = this.members(d);
    const counted = people.filter((p) => d.classes.includes(this.classOf(d, p, known)));
    return { met: people.length >= d.atLeast && satisfied({ people: [...people], atLeast: d.atLeast, classes: [...d.classes] }, (p) => this.classOf(d, p, known)), counted };
  }

  /** Reads the presence of the trigger's people not seen yet. */
  async ensurePresence(d: TriggerDef): Promise<void> {
    const missing = this.members(d).filter((p) => !this.known.has(p));
    for (let i = 0; i < missing.length; i += 2000) for (const p of await this.deps.presence(missing.slice(i, i + 2000))) if (!this.known.has(p.person)) this.known.set(p.person, p);
  }

  /**
   * The trigger's condition now against its state: undefined when nothing changes (or it has
   * expired), else its next state, whether that transition fires, and who counted.
   */
  transition(t: Live, at: number): { next: StoredState; fire: boolean; counted: string[] } | undefined {
    if (t.def.expiresAt !== undefined && t.def.expiresAt <= at) return undefined;
    const { met, counted } = this.evaluate(t.def);
    const before: TriggerState = t.state.falseSince !== undefined ? { met: t.state.met, falseSince: t.state.falseSince } : t.state.met ? { met: true } : INITIAL;
    const r = step(before, met, at, t.def.hysteresis);
    if (r.state === before) return undefined;
    const next: StoredState = { ...t.state, met: r.state.met };
    if (r.state.falseSince !== undefined) next.falseSince = r.state.falseSince;
    else delete next.falseSince;
    if (r.fire) {
      next.fired = t.state.fired + 1;
      next.lastFiredAt = at;
    }
    return { next, fire: r.fire, counted };
  }
}
