import type { Logger } from '../../core/util/logger.ts';
import { buildDialogInfo, type DialogEntry } from './dialog-info.ts';
import { buildPidf } from './pidf.ts';
import { Publication } from './publication.ts';
import type { Protocol } from './transport.ts';
import { UserAgent } from './ua.ts';

/**
 * A simulated phone for tests and the demo: it PUBLISHes its user's presence (PIDF+RPID) and its
 * line's dialog state (dialog-info, as presence_dialoginfo / a PBX would) to a presence server.
 */
export class SimPhone {
  private readonly pubs = new Map<string, Publication>();
  private version = 0;
  private constructor(
    private readonly ua: UserAgent,
    private readonly o: { server: string; protocol: Protocol; log: Logger },
  ) {}

  static async start(o: { server: string; protocol?: Protocol; log: Logger }): Promise<SimPhone> {
    const protocol = o.protocol ?? 'udp';
    const ua = await UserAgent.create({ host: '127.0.0.1', protocols: [protocol], log: o.log, userAgent: 'presence-hub-sim-phone' });
    return new SimPhone(ua, { ...o, protocol });
  }

  private pub(aor: string, event: 'presence' | 'dialog'): Publication {
    const key = `${event} ${aor}`;
    let p = this.pubs.get(key);
    if (p === undefined) {
      p = new Publication({ ua: this.ua, aor, from: aor, event, contentType: event === 'presence' ? 'application/pidf+xml' : 'application/dialog-info+xml', expires: 600, protocol: this.o.protocol, proxy: this.o.server, log: this.o.log });
      this.pubs.set(key, p);
    }
    return p;
  }

  async presence(aor: string, basic: 'open' | 'closed', activities: string[] = [], note?: string): Promise<void> {
    await this.pub(aor, 'presence').publish(buildPidf({ entity: aor, tupleId: 'phone-t1', personId: 'phone-p1', basic, activities, ...(note !== undefined ? { note } : {}) }));
  }

  async dialogs(aor: string, dialogs: DialogEntry[]): Promise<void> {
    await this.pub(aor, 'dialog').publish(buildDialogInfo({ version: this.version++, state: 'full', entity: aor, dialogs }));
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.pubs.values()].map((p) => p.remove()));
    await this.ua.close();
  }
}
