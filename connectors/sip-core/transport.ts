import type { SipMessage } from './message.ts';

/** Transport layer contract (RFC 3261 section 18): bytes in and out, framing done inside. */
export type Protocol = 'udp' | 'tcp' | 'tls';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface Peer extends HostPort {
  readonly protocol: Protocol;
}

export interface TransportEvents {
  message(msg: SipMessage, from: Peer): void;
  /** A message refused by the parser or a broken connection: logged by the user agent, never fatal. */
  refused(reason: string, from: Peer): void;
  /** A stream connection closed by the peer or the network (not by close()): the peer may have restarted. */
  closed?(peer: Peer): void;
}

export interface Transport {
  readonly protocol: Protocol;
  /** Reliable transports need no retransmissions (RFC 3261 section 17.1.2.2). */
  readonly reliable: boolean;
  readonly local: HostPort;
  send(data: Buffer, to: HostPort): Promise<void>;
  close(): Promise<void>;
}

export function peerKey(p: HostPort): string {
  return `${p.host}:${p.port}`;
}
