/**
 * A simulator behind a TCP proxy, for a kind's contract fixture: the proxy plays the outage
 * (connections cut, port closed) and the connector is configured with the proxy's port.
 */
import { TcpProxy } from '../../support/tcp-proxy.ts';
import type { ContractUpstream } from '../connector-contract.ts';

interface Simulator {
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export class ProxiedUpstream {
  private proxy: TcpProxy | undefined;

  constructor(private readonly sim: Simulator) {}

  /** Starts the simulator, then the proxy in front of it. */
  async start(): Promise<void> {
    await this.sim.start();
    this.proxy = await TcpProxy.start({ port: Number(new URL(this.sim.url).port) });
  }

  async stop(): Promise<void> {
    await this.proxy?.close();
    await this.sim.stop();
  }

  /** `http://127.0.0.1:<proxy port>` followed by `path`: where the connector goes. */
  url(path = ''): string {
    return `http://127.0.0.1:${this.proxy!.port}${path}`;
  }

  readonly upstream: ContractUpstream = {
    drop: () => this.proxy!.down(),
    restore: () => this.proxy!.up(),
  };
}

/** Two people the simulators know by mail address: user0 and user1 @corp.example. */
export const MAIL_PEOPLE = [0, 1].map((i) => ({ id: `user${i}`, identities: [`mailto:user${i}@corp.example`] }));
