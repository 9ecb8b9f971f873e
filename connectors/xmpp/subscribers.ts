import type { ConnectorStore } from '../../core/connector/contract.ts';

const PREFIX = 'xmpp-sub:';
const SEP = '\u0000';

/**
 * Who subscribed to which person's published JID (RFC 6121 section 3: the component is the
 * contact's server, so it keeps the subscription state). Kept in the connector's durable state
 * (shared by every node in Redis mode), so a restart or a lease handover still knows whom to tell.
 * Losing it is not fatal: a subscriber's server probes the person's JID when the subscriber comes
 * online, and a probe from a JID the policy approves re-adds it.
 */
export class Subscribers {
  private readonly byPerson = new Map<string, Set<string>>();

  constructor(private readonly store: ConnectorStore | undefined) {}

  async load(): Promise<void> {
    if (this.store === undefined) return;
    for (const key of (await this.store.entries(PREFIX)).keys()) {
      const [person, jid] = key.slice(PREFIX.length).split(SEP);
      if (person !== undefined && jid !== undefined) this.set(person).add(jid);
    }
  }

  private set(person: string): Set<string> {
    let s = this.byPerson.get(person);
    if (s === undefined) this.byPerson.set(person, (s = new Set()));
    return s;
  }

  has(person: string, jid: string): boolean {
    return this.byPerson.get(person)?.has(jid) === true;
  }

  async add(person: string, jid: string): Promise<void> {
    if (this.has(person, jid)) return;
    this.set(person).add(jid);
    await this.store?.set([[`${PREFIX}${person}${SEP}${jid}`, '1']]);
  }

  async remove(person: string, jid: string): Promise<void> {
    const s = this.byPerson.get(person);
    if (s === undefined || !s.delete(jid)) return;
    if (s.size === 0) this.byPerson.delete(person);
    await this.store?.delete([`${PREFIX}${person}${SEP}${jid}`]);
  }

  of(person: string): readonly string[] {
    return [...(this.byPerson.get(person) ?? [])];
  }

  people(): readonly string[] {
    return [...this.byPerson.keys()];
  }

  count(): number {
    let n = 0;
    for (const s of this.byPerson.values()) n += s.size;
    return n;
  }
}
