/**
 * The upstream systems of the soak, all on 127.0.0.1: the Graph simulator (in this process, with
 * fault controls), a real Kamailio presence server (connectors/sip-core/testing/kamailio-peer.ts)
 * and a private slapd (test/support/peers/slapd.ts), each of which can be taken away and brought
 * back on the same port.
 */
import { graphToNeutral } from '../../connectors/msgraph-presence/map.ts';
import { GraphSimulator, type SimPresenceWrite } from '../../connectors/msgraph-shared/simulator.ts';
import { CLASS_MIDPOINT } from '../../core/model/availability.ts';
import { startKamailio, type KamailioPeer } from '../../connectors/sip-core/testing/kamailio-peer.ts';
import { startSlapd, type Slapd } from '../../test/support/peers/slapd.ts';

export const GRAPH_APP = { clientId: '5f0c1e55-50a1-4c1d-9a7b-0000000050a1', clientSecret: 'soak-graph-secret' };
export const guid = (i: number): string => `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
export const personId = (i: number): string => `u${String(i).padStart(5, '0')}`;

const TEAMS_STATES = [
  { availability: 'Available', activity: 'Available' },
  { availability: 'Busy', activity: 'InACall' },
  { availability: 'Away', activity: 'Away' },
  { availability: 'DoNotDisturb', activity: 'Presenting' },
] as const;

export class Upstreams {
  graph = new GraphSimulator();
  kamailio: KamailioPeer | undefined;
  slapd: Slapd | undefined;
  private sipPort = 0;
  private churn: NodeJS.Timeout | undefined;

  constructor(private readonly people: number) {}

  async start(o: { ldapPeople: number }): Promise<void> {
    this.graph.addApp(GRAPH_APP);
    for (let i = 0; i < this.people; i++) this.graph.presence.addUser({ id: guid(i), upn: `${personId(i)}@corp.example`, client: { availability: 'Available', activity: 'Available' } });
    await this.graph.start();
    this.kamailio = await startKamailio();
    this.sipPort = this.kamailio.port;
    const ldif: string[] = ['dn: ou=people,dc=corp,dc=example\nobjectClass: organizationalUnit\nou: people\n'];
    for (let i = 0; i < o.ldapPeople; i++) {
      const id = personId(i);
      ldif.push(`dn: uid=${id},ou=people,dc=corp,dc=example\nobjectClass: inetOrgPerson\nuid: ${id}\ncn: Soak ${id}\nsn: ${id}\nmail: ${id}@corp.example\n`);
    }
    this.slapd = await startSlapd({ ldif: ldif.join('\n'), quick: true });
  }

  /** Teams users change their own state now and then (a few per second), so that polls carry news. */
  startChurn(perTick: number, seed: number): void {
    let s = seed;
    const rand = (): number => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648);
    this.churn = setInterval(() => {
      for (let k = 0; k < perTick; k++) {
        const i = Math.floor(rand() * this.people);
        this.graph.presence.setClient(guid(i), TEAMS_STATES[Math.floor(rand() * TEAMS_STATES.length)]!);
      }
    }, 1000);
  }

  stopChurn(): void {
    if (this.churn !== undefined) clearInterval(this.churn);
    this.churn = undefined;
  }

  /**
   * What the hub's Teams register must say per person, for the users whose Teams state is their
   * own client's alone (no session of the hub, no preferred presence): there the reading is never
   * the hub's echo, so the last poll must have reached the hub, whatever failed in between.
   */
  teamsTruth(): Map<string, number> {
    const out = new Map<string, number>();
    for (let i = 0; i < this.people; i++) {
      const u = this.graph.presence.users.get(guid(i))!;
      const client = u.sessions.get('client');
      if (client === undefined || u.sessions.size !== 1 || u.preferred !== undefined) continue;
      const n = graphToNeutral(client.availability, client.activity);
      if (n.availability !== undefined && n.availability !== null) out.set(personId(i), CLASS_MIDPOINT[n.availability]);
    }
    return out;
  }

  async sipDown(): Promise<void> {
    await this.kamailio?.stop();
    this.kamailio = undefined;
  }
  async sipUp(): Promise<void> {
    this.kamailio = await startKamailio({ port: this.sipPort });
  }

  async stop(): Promise<void> {
    this.stopChurn();
    await Promise.allSettled([this.graph.stop(), this.kamailio?.stop(), this.slapd?.stop()]);
  }
}

/**
 * Write-backs that repeat the state the hub's session already holds for that user: a setPresence
 * with the same availability/activity as the previous setPresence, without a clearPresence
 * between them. Refreshes of a session (same state, long after) are the publisher's design, not
 * duplicates: only repeats within `windowMs` count.
 */
export function duplicateWrites(writes: readonly SimPresenceWrite[], windowMs: number): { total: number; duplicates: number; examples: string[] } {
  const last = new Map<string, SimPresenceWrite>();
  let duplicates = 0;
  let total = 0;
  const examples: string[] = [];
  for (const w of writes) {
    if (w.action === 'clearPresence') {
      last.delete(w.user);
      continue;
    }
    if (w.action !== 'setPresence') continue;
    total++;
    const prev = last.get(w.user);
    if (prev !== undefined && prev.availability === w.availability && prev.activity === w.activity && w.at - prev.at < windowMs) {
      duplicates++;
      if (examples.length < 5) examples.push(`${w.user} ${w.availability}/${w.activity} at +${w.at - prev.at} ms`);
    }
    last.set(w.user, w);
  }
  return { total, duplicates, examples };
}
