import type { Connector, ConnectorContext, TestResult } from '../../core/connector/contract.ts';
import type { SignalInput } from '../../core/model/signal.ts';
import type { DemoConfig } from './config.ts';

/** mulberry32: a small seeded generator, so a demo run can be replayed. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Action = (person: string, now: number) => SignalInput[];

export class DemoCollector implements Connector {
  private timer: NodeJS.Timeout | undefined;
  private readonly random: () => number;
  private readonly inCall = new Set<string>();
  private readonly actions: [number, Action][];

  constructor(private readonly ctx: ConnectorContext<DemoConfig>) {
    this.random = rng(ctx.config.seed);
    const iso = (ms: number): string => new Date(ms).toISOString();
    const src = ctx.id;
    this.actions = [
      // The laptop reports input.
      [40, (person, now) => [{ person, source: src, endpoint: 'laptop', category: 'machine', machineState: 'active', sourceTime: iso(now) }]],
      // A phone call starts or ends.
      [20, (person, now) => {
        if (this.inCall.delete(person)) {
          return [{ person, source: src, endpoint: 'desk-phone', category: 'phone', availability: 'available', sourceTime: iso(now) }];
        }
        this.inCall.add(person);
        return [{ person, source: src, endpoint: 'desk-phone', category: 'phone', availability: 'busy', activity: 'on-the-phone', sourceTime: iso(now) }];
      }],
      // A meeting starts in a few seconds and ends on time, without another signal.
      [15, (person, now) => {
        const from = now + 3000 + Math.floor(this.random() * 5000);
        return [{ person, source: src, endpoint: 'calendar', category: 'calendar', availability: 'busy', activity: { token: 'in-a-meeting', text: 'Weekly sync' }, from: iso(from), until: iso(from + ctx.config.meetingLength), sourceTime: iso(now) }];
      }],
      // The person sets a state by hand.
      [10, (person, now) => {
        const r = this.random();
        const availability = r < 0.4 ? 'available' : r < 0.7 ? 'dnd' : r < 0.85 ? 'away' : 'busy';
        return [{ person, source: src, endpoint: 'client', category: 'user', availability, sourceTime: iso(now) }];
      }],
      // The laptop is shut.
      [5, (person, now) => [{ person, source: src, endpoint: 'laptop', category: 'machine', machineState: 'off', sourceTime: iso(now) }]],
    ];
  }

  async start(): Promise<void> {
    // Everyone starts with a laptop in use, so the demo shows people at once.
    const now = this.ctx.clock.now();
    const first: SignalInput[] = [];
    for (const p of this.ctx.directory.people()) {
      first.push({ person: p.id, source: this.ctx.id, endpoint: 'laptop', category: 'machine', machineState: 'active', sourceTime: new Date(now).toISOString() });
    }
    await this.send(first);
    this.timer = setInterval(() => void this.tick(), this.ctx.config.interval);
    this.timer.unref?.();
  }

  async stop(): Promise<void> {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  async testConnection(): Promise<TestResult> {
    return { ok: true, message: 'the demo connector needs no connection' };
  }

  private pick<T>(items: readonly T[]): T | undefined {
    return items[Math.floor(this.random() * items.length)];
  }

  async tick(): Promise<void> {
    const people = [...this.ctx.directory.people()].map((p) => p.id);
    if (people.length === 0) return;
    const now = this.ctx.clock.now();
    const total = this.actions.reduce((s, [w]) => s + w, 0);
    const batch: SignalInput[] = [];
    for (let i = 0; i < this.ctx.config.perTick; i++) {
      const person = this.pick(people)!;
      let r = this.random() * total;
      for (const [w, act] of this.actions) {
        r -= w;
        if (r < 0) {
          batch.push(...act(person, now));
          break;
        }
      }
    }
    await this.send(batch);
  }

  private async send(batch: SignalInput[]): Promise<void> {
    if (batch.length === 0) return;
    try {
      const res = await this.ctx.emit(batch);
      this.ctx.report.count('signals', res.accepted);
      this.ctx.report.ok();
    } catch (e) {
      this.ctx.report.error(e);
    }
  }
}
