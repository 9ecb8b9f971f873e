/**
 * The soak's client: batches of signals at a steady rate, alternating between the hub nodes, each
 * signal with a unique increasing sourceVersion per register. A signal counts as accepted only when
 * its request answered 202 (docs/architecture.md: acknowledged after durable queueing); 503 while Redis is
 * away, refused connections to a killed node and timeouts to a stopped one are counted, not kept.
 */
import { registerKey, type Signal } from '../../core/model/signal.ts';

export interface LoadSignal {
  person: string;
  source: string;
  endpoint: string;
  category: 'user' | 'phone' | 'calendar';
  availability: string;
  activity?: string;
  from?: string;
  until?: string;
  sourceVersion: number;
}

export const regKey = (s: { person: string; source: string; endpoint: string; category: string }): string => `${s.person}\u0001${registerKey(s as Pick<Signal, 'source' | 'endpoint' | 'category'>)}`;

const CLASSES = ['available', 'busy', 'dnd', 'away', 'offline'] as const;
const ACTIVITIES = ['on-the-phone', 'lunch', 'presenting', undefined] as const;

export class SignalLoad {
  /** Register key -> every sourceVersion a 202 acknowledged. */
  readonly accepted = new Map<string, number[]>();
  readonly stats = { requests: 0, accepted: 0, status503: 0, refused: 0, timeouts: 0, otherErrors: 0, mismatched: 0 };
  private readonly versions = new Map<string, number>();
  private readonly inflight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;
  private turn = 0;
  private seed: number;

  constructor(
    private readonly o: {
      targets: () => string[];
      key: string;
      people: readonly string[];
      /** Signals per second. */
      rate: number;
      batch: number;
      seed: number;
      log: (line: string) => void;
    },
  ) {
    this.seed = o.seed;
  }

  private rand(): number {
    // mulberry32: reproducible with --seed
    let t = (this.seed = (this.seed + 0x6d2b79f5) | 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  private pick<T>(xs: readonly T[]): T {
    return xs[Math.floor(this.rand() * xs.length)]!;
  }

  /** The next version of a register. */
  private version(s: Pick<LoadSignal, 'person' | 'source' | 'endpoint' | 'category'>): number {
    const k = regKey(s);
    const v = (this.versions.get(k) ?? 0) + 1;
    this.versions.set(k, v);
    return v;
  }

  private steadySignal(): LoadSignal {
    const category = this.rand() < 0.5 ? 'user' : 'phone';
    const base = { person: this.pick(this.o.people), source: 'soak', endpoint: this.pick(['desk', 'mobile']), category } as const;
    const activity = this.pick(ACTIVITIES);
    return { ...base, availability: this.pick(CLASSES), ...(activity !== undefined ? { activity } : {}), sourceVersion: this.version(base) };
  }

  start(): void {
    const every = Math.max(20, Math.round((1000 * this.o.batch) / this.o.rate));
    this.timer = setInterval(() => {
      // Bounded: a stopped node holds requests until their timeout; never more than 16 in flight.
      if (this.inflight.size >= 16) return;
      const batch = Array.from({ length: this.o.batch }, () => this.steadySignal());
      this.track(this.send(batch));
    }, every);
  }

  private track(p: Promise<unknown>): void {
    const q = p.then(
      () => undefined,
      () => undefined,
    );
    this.inflight.add(q);
    void q.finally(() => this.inflight.delete(q));
  }

  /** Posts one batch to the next node; true when it was acknowledged (202). */
  async send(batch: readonly LoadSignal[]): Promise<boolean> {
    const targets = this.o.targets();
    return this.sendTo(targets[this.turn++ % targets.length]!, batch);
  }

  /** Posts one batch to the node at `url`, counted like every other (the failover probe). */
  async sendTo(url: string, batch: readonly LoadSignal[]): Promise<boolean> {
    this.stats.requests++;
    try {
      const res = await fetch(`${url}/v1/signals`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.o.key}`, 'content-type': 'application/json' },
        body: JSON.stringify(batch),
        signal: AbortSignal.timeout(5000),
      });
      const text = await res.text();
      if (res.status === 202) {
        const n = (JSON.parse(text) as { accepted: number }).accepted;
        if (n !== batch.length) this.stats.mismatched++;
        for (const s of batch) {
          const k = regKey(s);
          const list = this.accepted.get(k);
          if (list === undefined) this.accepted.set(k, [s.sourceVersion]);
          else list.push(s.sourceVersion);
        }
        this.stats.accepted += batch.length;
        return true;
      }
      if (res.status === 503) this.stats.status503++;
      else {
        this.stats.otherErrors++;
        if (this.stats.otherErrors <= 5) this.o.log(`load: ${url} answered ${res.status}: ${text.slice(0, 200)}`);
      }
    } catch (e) {
      const name = (e as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') this.stats.timeouts++;
      else this.stats.refused++;
    }
    return false;
  }

  /**
   * The meeting-boundary storm: one calendar window per person, all starting at `from` and ending
   * at `until`, sent until acknowledged (a client that got no 202 sends again, with a new version).
   */
  async storm(people: readonly string[], from: number, until: number, deadline: number): Promise<number> {
    let sent = 0;
    for (let i = 0; i < people.length; i += 500) {
      const chunk = people.slice(i, i + 500);
      for (;;) {
        const batch = chunk.map((person) => {
          const base = { person, source: 'soak-cal', endpoint: 'calendar', category: 'calendar' } as const;
          return { ...base, availability: 'busy', activity: 'in-a-meeting', from: new Date(from).toISOString(), until: new Date(until).toISOString(), sourceVersion: this.version(base) };
        });
        if (await this.send(batch)) break;
        if (Date.now() > deadline) throw new Error('storm: no node acknowledged the calendar windows in time');
        await new Promise((r) => setTimeout(r, 500));
      }
      sent += chunk.length;
    }
    return sent;
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    await Promise.all([...this.inflight]);
  }
}
