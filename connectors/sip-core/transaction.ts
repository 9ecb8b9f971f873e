import { HubError } from '../../core/errors.ts';
import { parseCSeq, parseVia } from './header-values.ts';
import { SipHeaders, type SipMessage, type SipRequest, type SipResponse } from './message.ts';
import { serialize } from './serializer.ts';
import type { Peer, Transport } from './transport.ts';

/** Timer values of RFC 3261 section 17.1.1.1 (T1 500 ms, T2 4 s, T4 5 s). */
export interface SipTimers {
  readonly t1: number;
  readonly t2: number;
  readonly t4: number;
}
export const DEFAULT_TIMERS: SipTimers = { t1: 500, t2: 4000, t4: 5000 };

interface ClientTx {
  readonly resolve: (r: SipResponse) => void;
  readonly reject: (e: Error) => void;
  retransmit?: NodeJS.Timeout;
  timeout: NodeJS.Timeout;
}

interface ServerTx {
  last?: Buffer;
  readonly peer: Peer;
  expire?: NodeJS.Timeout;
}

export type RespondFn = (status: number, reason: string, extra?: { headers?: [string, string][]; body?: Buffer; toTag?: string }) => void;

/**
 * Non-INVITE client and server transactions (RFC 3261 sections 17.1.2 and 17.2.2), the only kind
 * SUBSCRIBE, NOTIFY and PUBLISH need. Client: over UDP retransmit at T1 doubling to T2 (Timer E),
 * give up after 64*T1 (Timer F). Server: absorb retransmitted requests and resend the last response
 * (until Timer J, 64*T1 over UDP). INVITE is answered 501 by the user agent, statelessly.
 */
export class TransactionLayer {
  private readonly clients = new Map<string, ClientTx>();
  private readonly servers = new Map<string, ServerTx>();

  constructor(
    private readonly deps: {
      transports: ReadonlyMap<string, Transport>;
      timers: SipTimers;
      onRequest: (req: SipRequest, peer: Peer, respond: RespondFn) => void;
      onStray?: (res: SipResponse, peer: Peer) => void;
    },
  ) {}

  private transport(p: Peer['protocol']): Transport {
    const t = this.deps.transports.get(p);
    if (t === undefined) throw new HubError('HUB_ERR_SIP_TRANSPORT', `no ${p.toUpperCase()} transport configured`);
    return t;
  }

  /** Sends a request whose top Via already carries a fresh branch; resolves with the final response. */
  send(req: SipRequest, to: Peer): Promise<SipResponse> {
    const via = parseVia(req.headers.getAll('Via')[0] ?? '');
    const branch = via?.params.branch;
    if (branch === undefined) return Promise.reject(new Error('request without a Via branch'));
    const key = `${branch}|${req.method}`;
    const t = this.transport(to.protocol);
    const data = serialize(req);
    const { t1, t2 } = this.deps.timers;
    return new Promise<SipResponse>((resolve, reject) => {
      const tx: ClientTx = {
        resolve,
        reject,
        timeout: setTimeout(() => {
          this.finish(key);
          reject(new HubError('HUB_ERR_SIP_TIMEOUT', `no final response to ${req.method} from ${to.host}:${to.port} within ${(64 * t1) / 1000} s`, { kind: 'transient' }));
        }, 64 * t1),
      };
      tx.timeout.unref?.();
      this.clients.set(key, tx);
      t.send(data, to).catch((e: Error) => {
        this.finish(key);
        reject(new HubError('HUB_ERR_SIP_TRANSPORT', `cannot send ${req.method} to ${to.protocol}:${to.host}:${to.port}: ${e.message}`, { kind: 'transient' }));
      });
      if (!t.reliable) {
        let interval = t1;
        const again = (): void => {
          if (!this.clients.has(key)) return;
          t.send(data, to).catch(() => undefined);
          interval = Math.min(interval * 2, t2);
          tx.retransmit = setTimeout(again, interval);
          tx.retransmit.unref?.();
        };
        tx.retransmit = setTimeout(again, interval);
        tx.retransmit.unref?.();
      }
    });
  }

  private finish(key: string): void {
    const tx = this.clients.get(key);
    if (tx === undefined) return;
    clearTimeout(tx.timeout);
    if (tx.retransmit !== undefined) clearTimeout(tx.retransmit);
    this.clients.delete(key);
  }

  /** Feeds a received message; matches responses by branch and CSeq method (section 17.1.3). */
  receive(msg: SipMessage, peer: Peer): void {
    if (msg.kind === 'response') {
      const branch = parseVia(msg.headers.getAll('Via')[0] ?? '')?.params.branch;
      const method = parseCSeq(msg.headers.get('CSeq') ?? '')?.method;
      const key = `${branch}|${method}`;
      const tx = this.clients.get(key);
      if (tx === undefined) {
        this.deps.onStray?.(msg, peer);
        return;
      }
      if (msg.status < 200) {
        // Section 17.1.2.2: after a provisional response, retransmit at T2 (kept as is: the interval is already capped).
        return;
      }
      this.finish(key);
      tx.resolve(msg);
      return;
    }
    if (msg.method === 'ACK') return;
    const via = parseVia(msg.headers.getAll('Via')[0] ?? '');
    const key = `${via?.params.branch ?? ''}|${via?.host}:${via?.port ?? ''}|${msg.method}`;
    const existing = this.servers.get(key);
    if (existing !== undefined) {
      // A retransmission: resend the last response, if any (section 17.2.2).
      if (existing.last !== undefined) this.transport(peer.protocol).send(existing.last, peer).catch(() => undefined);
      return;
    }
    const tx: ServerTx = { peer };
    this.servers.set(key, tx);
    let answered = false;
    const respond: RespondFn = (status, reason, extra = {}) => {
      if (answered) return;
      if (status >= 200) answered = true;
      const res = buildResponse(msg, status, reason, extra);
      const data = serialize(res);
      tx.last = data;
      this.transport(peer.protocol).send(data, peer).catch(() => undefined);
      if (status >= 200) {
        tx.expire = setTimeout(() => this.servers.delete(key), peer.protocol === 'udp' ? 64 * this.deps.timers.t1 : 0);
        tx.expire.unref?.();
      }
    };
    this.deps.onRequest(msg, peer, respond);
  }

  /** Fails every pending client transaction and forgets server state (user agent shutdown). */
  close(): void {
    for (const [key, tx] of this.clients) {
      this.finish(key);
      tx.reject(new HubError('HUB_ERR_SIP_CLOSED', 'the SIP user agent is closing', { kind: 'transient' }));
    }
    for (const tx of this.servers.values()) if (tx.expire !== undefined) clearTimeout(tx.expire);
    this.servers.clear();
  }

  get pendingClients(): number {
    return this.clients.size;
  }
}

/** A response to `req` (RFC 3261 section 8.2.6.2): Via, From, To, Call-ID and CSeq copied; a To tag added. */
export function buildResponse(req: SipRequest, status: number, reason: string, extra: { headers?: [string, string][]; body?: Buffer; toTag?: string } = {}): SipResponse {
  const h = new SipHeaders();
  for (const [n, v] of req.headers.entries) if (n === 'Via') h.add('Via', v);
  h.add('From', req.headers.get('From')!);
  let to = req.headers.get('To')!;
  if (extra.toTag !== undefined && status > 100 && !/;\s*tag=/i.test(to)) to = `${to};tag=${extra.toTag}`;
  h.add('To', to);
  h.add('Call-ID', req.headers.get('Call-ID')!);
  h.add('CSeq', req.headers.get('CSeq')!);
  for (const [n, v] of extra.headers ?? []) h.add(n, v);
  return { kind: 'response', status, reason, headers: h, body: extra.body ?? Buffer.alloc(0) };
}
