/**
 * The Graph simulator behind a TCP proxy, shared by the Graph kinds' contract fixtures: the proxy
 * plays the outage (connections cut, port closed), the simulator plays throttling (429 with
 * Retry-After on the next Graph request), and the throttling check reads the Graph requests from
 * the client's side (test/support/fetch-log.ts): when each was issued and when its answer arrived.
 */
import { GraphSimulator } from '../../../connectors/msgraph-shared/simulator.ts';
import { FetchLog } from '../../support/fetch-log.ts';
import { TcpProxy } from '../../support/tcp-proxy.ts';
import type { ContractThrottle, ContractUpstream } from '../connector-contract.ts';

export const APP = { clientId: '5c1e0a4f-0000-4000-8000-00000000c0de', clientSecret: 'contract-sim-secret' };

/** Valid connection settings that need no running simulator (the invalid-configuration checks are built before it starts). */
export const OFFLINE_CONNECTION = { tenantId: 'contoso.onmicrosoft.com', clientId: APP.clientId, clientSecret: APP.clientSecret, graphBaseUrl: 'http://127.0.0.1:9/' };

export class GraphUpstream {
  sim = new GraphSimulator();
  private proxy: TcpProxy | undefined;
  private fetches: FetchLog | undefined;

  async start(seed: (sim: GraphSimulator) => void): Promise<void> {
    this.sim.addApp(APP);
    seed(this.sim);
    await this.sim.start();
    this.proxy = await TcpProxy.start({ port: Number(new URL(this.sim.url).port) });
    // The simulator writes absolute links (delta, nextLink) from its url: they must point at the proxy too.
    this.sim.url = `http://127.0.0.1:${this.proxy.port}`;
    this.fetches = new FetchLog(this.sim.url);
  }

  async stop(): Promise<void> {
    this.fetches?.stop();
    await this.proxy?.close();
    await this.sim.stop();
  }

  /** Connection settings through the proxy. */
  connection(secret = APP.clientSecret): Record<string, unknown> {
    return { tenantId: this.sim.tenantId, clientId: APP.clientId, clientSecret: secret, graphBaseUrl: this.sim.url, tokenEndpoint: this.sim.tokenEndpoint() };
  }

  readonly upstream: ContractUpstream = {
    drop: () => this.proxy!.down(),
    restore: () => this.proxy!.up(),
  };

  readonly throttle: ContractThrottle = {
    arm: (s) => this.sim.throttle(1, s),
    requests: () =>
      (this.fetches?.records ?? [])
        .filter((r) => r.path.startsWith('/v1.0/'))
        .map((r) => ({ at: r.issuedAt, throttled: r.status === 429, order: r.order, ...(r.answeredAt !== undefined ? { answeredAt: r.answeredAt } : {}) })),
  };
}
