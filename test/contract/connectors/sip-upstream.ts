/**
 * The SIP presence simulator with digest authentication, shared by the SIP kinds' contract
 * fixtures: the outage is the server closed (UDP port gone, subscriptions lost), the recovery a
 * fresh server on the same port; throttling is a 503 with Retry-After to the next SUBSCRIBE.
 */
import { SimPresenceServer } from '../../../connectors/sip-core/simulator.ts';
import { silentLogger } from '../../../core/util/logger.ts';
import type { ContractThrottle, ContractUpstream } from '../connector-contract.ts';

export const SIP_USER = { username: 'presence-hub', password: 'sip-contract-password' };
const log = silentLogger();

export class SipUpstream {
  server: SimPresenceServer | undefined;
  private port = 0;
  /** The server's address, kept while it is down. */
  private uri = '';

  private async open(): Promise<void> {
    this.server = await SimPresenceServer.start({ log, protocols: ['udp'], udpPort: this.port, auth: { realm: 'corp.example', users: { [SIP_USER.username]: SIP_USER.password } } });
    this.port = this.server.ua.local('udp').port;
    this.uri = this.server.uri('udp');
  }

  start = (): Promise<void> => this.open();

  stop = async (): Promise<void> => {
    await this.server?.close();
    this.server = undefined;
  };

  /** Connection settings with short SIP timers: T1 10 ms (the least the connector takes; Timer F 640 ms), 2 s subscriptions refreshed after 1 s. */
  connection(password = SIP_USER.password): Record<string, unknown> {
    return { server: this.uri, auth: { ...SIP_USER, password }, expires: '2s', t1: '10ms', retry: { base: '50ms', max: '300ms' } };
  }

  readonly upstream: ContractUpstream = { drop: this.stop, restore: () => this.open() };

  readonly throttle: ContractThrottle = {
    arm: (s) => this.server!.throttleNext(1, s),
    requests: () => (this.server?.requests ?? []).filter((r) => r.method === 'SUBSCRIBE').map((r) => ({ at: r.at, throttled: r.throttled })),
  };

  requestCount = (): number => this.server?.requests.length ?? 0;
}
